"""Rows saved before the control-character rule are scrubbed by each app's data migration, so
that they pass `full_clean` again (an invoice copying a structure's name, the next edit)."""

from django.apps import apps

from accounts.models import Organisation
from core.text_cleanup import scrub_multi_line, scrub_single_line, scrub_text_columns
from spaces.models import Space

CSS_BREAKOUT = 'Asso\n}} html { background: url(http://127.0.0.1:9/x) } x { a: "'


def _migrate(app_label: str) -> None:
    scrub_text_columns(app_label).code(apps, None)


def test_a_run_of_control_characters_becomes_one_space():
    assert scrub_single_line("Salle\r\n\tUsinor\x00") == "Salle Usinor"


def test_multi_line_text_keeps_its_lines_as_lf_and_loses_other_control_characters():
    assert scrub_multi_line("Ligne 1\r\nLigne 2\x1b[31m\u2028Ligne 3") == (
        "Ligne 1\nLigne 2[31m\nLigne 3"
    )


def test_the_migration_scrubs_a_name_saved_before_the_rule(structure):
    Organisation.objects.filter(pk=structure.pk).update(name=CSS_BREAKOUT)

    _migrate("accounts")

    structure.refresh_from_db()
    assert structure.name == 'Asso }} html { background: url(http://127.0.0.1:9/x) } x { a: "'
    structure.full_clean()


def test_the_migration_scrubs_a_description_and_leaves_clean_rows_alone(space, site):
    Space.objects.filter(pk=space.pk).update(description="Accès\r\npar la cour\x07")
    before = Space.objects.exclude(pk=space.pk).values_list("description", flat=True)

    _migrate("spaces")

    space.refresh_from_db()
    assert space.description == "Accès\npar la cour"
    assert list(Space.objects.exclude(pk=space.pk).values_list("description", flat=True)) == list(
        before
    )
