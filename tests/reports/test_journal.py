"""The journal of changes: the intercommunality reads who changed what and when (old → new);
anyone else gets a 404; a Stripe secret never shows; a page costs the same number of queries
whatever it lists."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms import CheckboxInput, NullBooleanSelect
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import OrganisationLogKind
from accounts.services import organisation_update, structure_verify
from bookings import services as bookings_services
from bookings.rules import Period
from calls.models import CallLog, CallStatus
from payments.services.tariffs import channel_set, tariff_set
from spaces.models import SiteManager
from tests.factories import CallFactory, StructureFactory
from tests.helpers import verification_documents_add
from tests.spaces.test_admin import admin_url

PARIS = ZoneInfo("Europe/Paris")
URL = reverse("reports:journal")
SECRET_KEY = "sk_test_JournalNeverShows42"


@pytest.fixture
def admin_client(client, territory_admin):
    client.force_login(territory_admin)
    return client


def _rename_site(site, name: str, actor) -> None:
    from spaces.services import site_save

    site.name = name
    site_save(site=site, actor=actor)


def test_the_journal_shows_an_edit_with_who_made_it_and_the_old_and_new_values(
    admin_client, site, facilities_manager
):
    _rename_site(site, "Tiers-lieu des Grands Bureaux", facilities_manager)

    response = admin_client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<caption id="journal-caption">' in html
    # On a phone the table scrolls in its own region, named by the caption and reached by Tab.
    assert (
        '<div class="table-scroll" tabindex="0" role="region" aria-labelledby="journal-caption">'
        in html
    )
    assert "manager@example.test" in html
    assert "<del>Les Grands Bureaux</del>" in html
    assert "<ins>Tiers-lieu des Grands Bureaux</ins>" in html


@pytest.mark.parametrize("persona", ["commune_staff", "facilities_manager", "member", "outsider"])
def test_the_journal_is_404_for_anyone_but_the_intercommunality(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_the_journal_is_404_for_the_anonymous(client):
    assert client.get(URL).status_code == 404


PLACE_AND_PERIOD = "Désinfection — Les Grands Bureaux, 01/02/2027 00:00 → 02/02/2027 00:00"


def test_the_journal_lists_a_deleted_closure_with_who_deleted_it(
    admin_client, site, space, facilities_manager, commune_staff
):
    closure = bookings_services.closure_create(
        actor=commune_staff,
        site=site,
        period=Period(datetime(2027, 2, 1, tzinfo=PARIS), datetime(2027, 2, 2, tzinfo=PARIS)),
        reason="Désinfection",
    )
    bookings_services.closure_delete(closure=closure, actor=facilities_manager)

    response = admin_client.get(URL, {"type": "closure"})

    rows = [(e.action, e.actor, e.subject) for e in response.context["page"].object_list]
    assert rows == [
        ("Suppression", facilities_manager, PLACE_AND_PERIOD),
        ("Création", commune_staff, PLACE_AND_PERIOD),
    ]


def test_the_journal_lists_the_decisions_on_calls_with_their_deliberation(
    admin_client, commune_staff
):
    call = CallFactory(title="Bureaux vacants", status=CallStatus.DECIDED)
    CallLog.objects.create(
        call=call,
        from_status=CallStatus.CLOSED,
        to_status=CallStatus.DECIDED,
        actor=commune_staff,
        reason="DEL-2027-12 (2027-02-15)",
    )

    response = admin_client.get(URL, {"type": "call"})

    html = response.content.decode()
    assert "Bureaux vacants" in html
    assert "DEL-2027-12 (2027-02-15)" in html
    assert "staff@example.test" in html


def test_the_journal_shows_a_verification_with_who_verified(admin_client, territory_admin):
    structure = StructureFactory(name="Repair Café")
    structure.verified_at = timezone.now()
    structure.verified_by = territory_admin
    structure.save()

    response = admin_client.get(URL, {"type": "organisation"})

    latest = response.context["page"].object_list[0]
    assert ("vérifiée par", "—", str(territory_admin)) in [
        (c.label, c.old, c.new) for c in latest.changes
    ]


def test_the_journal_filter_keeps_only_one_kind(admin_client, site, space, facilities_manager):
    _rename_site(site, "Tiers-lieu", facilities_manager)
    tariff_set(
        space=space,
        category="association",
        unit="hour",
        amount_cents=1500,
        actor=facilities_manager,
    )

    response = admin_client.get(URL, {"type": "tariff"})

    kinds = {entry.kind.code for entry in response.context["page"].object_list}
    assert kinds == {"tariff"}


def test_an_unknown_filter_or_page_shows_the_whole_journal(admin_client, site):
    response = admin_client.get(URL, {"type": "<script>", "page": "9999"})

    assert response.status_code == 200
    assert response.context["page"].object_list


def test_a_stripe_secret_never_shows_in_the_journal(admin_client, commune, territory_admin):
    owner = commune.organisation
    channel_set(owner=owner, kind="stripe", stripe_secret_key=SECRET_KEY, actor=territory_admin)
    channel_set(
        owner=owner,
        kind="stripe",
        stripe_secret_key=SECRET_KEY + "rotated",
        finance_department="Régie",
        actor=territory_admin,
    )

    response = admin_client.get(URL, {"type": "channel"})

    html = response.content.decode()
    assert "Régie" in html
    assert "sk_test_" not in html


def _edit_everything(site, space, structure, territory_admin, actor, rounds: int) -> None:
    """`rounds` edits of each kind, foreign keys included (verified by, owner)."""
    for index in range(rounds):
        _rename_site(site, f"Site {index}", actor)
        space.capacity = 10 + index
        space.save()
        tariff_set(
            space=space,
            category="association",
            unit="hour",
            amount_cents=100 + index,
            actor=actor,
        )
        if index % 2 == 0:
            if not structure.documents.exists():
                verification_documents_add(structure)
            structure_verify(structure=structure, actor=territory_admin)  # + a verification event
        else:
            structure.refresh_from_db()
            structure.verified_by = structure.verified_at = None
            structure.save()
        assignment = SiteManager.objects.get(site=site, user=actor)
        assignment.may_commit_owner = index % 2 == 1
        assignment.save()
        closure = bookings_services.closure_create(
            actor=actor,
            space=space,
            period=Period(
                datetime(2027, 3, 1 + index, tzinfo=PARIS),
                datetime(2027, 3, 2 + index, tzinfo=PARIS),
            ),
            reason=f"Travaux {index}",
        )
        bookings_services.closure_delete(closure=closure, actor=actor)


def test_the_journal_costs_the_same_queries_for_1_or_30_rows_of_changes(
    admin_client, site, space, territory_admin, facilities_manager, django_assert_max_num_queries
):
    structure = StructureFactory(name="Repair Café")  # unverified: the first edit verifies it
    tariff_set(
        space=space, category="association", unit="hour", amount_cents=99, actor=territory_admin
    )
    call_command("populate_history", "spaces.SiteManager", stdout=io.StringIO())
    _edit_everything(site, space, structure, territory_admin, facilities_manager, rounds=1)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(URL)

    _edit_everything(site, space, structure, territory_admin, facilities_manager, rounds=6)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(URL)

    assert len(response.context["page"].object_list) == 30


def test_the_journal_lists_a_verification_event_with_the_identity_that_changed(
    admin_client, territory_admin, member, structure
):
    structure.name = "Société Totalement Différente SA"

    organisation_update(organisation=structure, actor=member)

    response = admin_client.get(URL, {"type": "verification"})
    (entry,) = response.context["page"].object_list
    with translation.override("fr"):
        withdrawn = str(OrganisationLogKind.VERIFICATION_WITHDRAWN.label)
    assert (entry.actor, entry.subject, entry.action) == (
        member,
        "Société Totalement Différente SA",
        withdrawn,
    )
    assert ("nom", "Mobilité Solidaire", "Société Totalement Différente SA") in [
        (c.label, c.old, c.new) for c in entry.changes
    ]


def _form_values(form, data: dict) -> None:
    for name, field in form.fields.items():
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(field.widget, CheckboxInput):
            if value:
                data[key] = "on"
        elif isinstance(field.widget, NullBooleanSelect):
            data[key] = {True: "true", False: "false", None: "unknown"}[value]
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        else:
            data[key] = "" if value is None else str(value)


def _admin_post_data(response) -> dict:
    """What the admin change page sends back unchanged, its inlines' existing rows included."""
    data: dict = {}
    _form_values(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for form in formset.initial_forms:
            _form_values(form, data)
    return data


def test_the_journal_lists_a_delegation_withdrawn_in_the_admin_with_who_withdrew_it(
    admin_client, commune_staff, site, facilities_manager
):
    """The owner's staff withdraw the delegation of `facilities_manager` (delegated by its
    fixture) to commit the owner."""
    commune_staff.is_staff = commune_staff.is_superuser = True
    commune_staff.save(update_fields=["is_staff", "is_superuser"])
    staff_client = Client()
    staff_client.force_login(commune_staff)
    assignment = SiteManager.objects.get(site=site, user=facilities_manager)
    # Assignments are added in bulk (no history): the deployment records a first version.
    call_command("populate_history", "spaces.SiteManager", stdout=io.StringIO())
    page = staff_client.get(admin_url(type(site), "change", site.pk))
    data = _admin_post_data(page)
    index = next(
        n
        for n in range(int(data["sitemanager_set-TOTAL_FORMS"]))
        if data[f"sitemanager_set-{n}-id"] == str(assignment.pk)
    )
    del data[f"sitemanager_set-{index}-may_commit_owner"]  # the box unticked

    response = staff_client.post(admin_url(type(site), "change", site.pk), data)

    assert response.status_code == 302
    assert SiteManager.objects.get(pk=assignment.pk).may_commit_owner is False
    entry = admin_client.get(URL, {"type": "manager"}).context["page"].object_list[0]
    assert (entry.actor, entry.action) == (commune_staff, "Modification")
    assert [(c.old, c.new) for c in entry.changes] == [("Oui", "Non")]


def test_a_change_without_an_earlier_version_says_so(admin_client, site, facilities_manager):
    assignment = SiteManager.objects.get(site=site, user=facilities_manager)  # added in bulk
    assignment.may_commit_owner = False

    assignment.save()

    entry = admin_client.get(URL, {"type": "manager"}).context["page"].object_list[0]
    assert (entry.changes, entry.reason) == (
        [],
        "Les valeurs antérieures n’ont pas été enregistrées.",
    )
