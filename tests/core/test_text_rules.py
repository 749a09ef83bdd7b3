"""Single-line text refuses control characters, multi-line text keeps its line breaks (as LF):
the rule of `core.validators`, and what people see on the pages that were attacked."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Organisation, User
from core.fields import MultiLineFormField
from core.validators import validate_multi_line, validate_single_line
from spaces.models import Space
from tests.accounts.test_views import _signup_data, _structure_data
from tests.spaces.test_catalogue import space_form_data

SINGLE_LINE_ERROR = (
    "Ce champ ne peut pas contenir de retour à la ligne ni de caractère de contrôle."
)
# The name that closed a CSS string in the PDF template and made WeasyPrint fetch a URL.
CSS_BREAKOUT = 'Asso\n}} html { background: url(http://127.0.0.1:9/x) } x { a: "'
CONTROL_CHARACTERS = ["\n", "\r", "\t", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_single_line_text_refuses_each_control_character(character):
    with pytest.raises(ValidationError):
        validate_single_line(f"Salle{character}Usinor")


@pytest.mark.parametrize("text", ["Salle Usinor", "Œuvre « Solidaire » – 2e étage", "l’été", ""])
def test_single_line_text_accepts_ordinary_text(text):
    validate_single_line(text)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x85", "\u2028"])
def test_multi_line_text_refuses_other_control_characters(character):
    with pytest.raises(ValidationError):
        validate_multi_line(f"Ligne 1{character}Ligne 2")


def test_multi_line_text_keeps_line_breaks_and_tabs():
    validate_multi_line("Ligne 1\r\nLigne 2\n\tretrait")


def test_a_multi_line_form_field_stores_line_breaks_as_lf():
    assert MultiLineFormField().clean("Ligne 1\r\nLigne 2\rLigne 3") == "Ligne 1\nLigne 2\nLigne 3"


def test_a_model_refuses_a_line_break_in_a_name_whatever_the_caller(structure):
    structure.name = "Mobilité\u2028Solidaire"

    with pytest.raises(ValidationError) as error:
        structure.full_clean()

    assert list(error.value.message_dict) == ["name"]


def test_signup_with_a_line_break_in_the_name_creates_nothing(client, db):
    response = client.post(reverse("accounts:signup"), _signup_data(last_name="Dupont\nAdmin"))

    assert response.context["form"].errors == {"last_name": [SINGLE_LINE_ERROR]}
    assert not User.objects.exists()


def test_registering_a_structure_whose_name_breaks_out_of_css_creates_nothing(client, outsider):
    client.force_login(outsider)

    response = client.post(
        reverse("accounts:structure-register"), _structure_data(name=CSS_BREAKOUT)
    )

    assert response.context["form"].errors == {"name": [SINGLE_LINE_ERROR]}
    assert not Organisation.objects.filter(name__startswith="Asso").exists()


def test_a_space_description_keeps_its_lines_as_lf(client, commune_staff, site):
    client.force_login(commune_staff)

    client.post(
        reverse("spaces:space-create", args=[site.pk]),
        space_form_data(description="Au rez-de-chaussée.\r\nAccès par la cour."),
    )

    assert Space.objects.get().description == "Au rez-de-chaussée.\nAccès par la cour."


def test_a_space_description_with_a_nul_character_is_refused(client, commune_staff, site):
    client.force_login(commune_staff)

    response = client.post(
        reverse("spaces:space-create", args=[site.pk]),
        space_form_data(description="Au rez-de-chaussée.\x1b[31m"),
    )

    assert list(response.context["form"].errors) == ["description"]
    assert not Space.objects.exists()


@pytest.mark.parametrize("capacity", [str(10**20), "100001"])
def test_a_space_capacity_beyond_the_domain_is_a_form_error(client, commune_staff, site, capacity):
    client.force_login(commune_staff)

    response = client.post(
        reverse("spaces:space-create", args=[site.pk]), space_form_data(capacity=capacity)
    )

    assert response.context["form"].errors == {
        "capacity": ["Assurez-vous que cette valeur est inférieure ou égale à 100000."]
    }
    assert not Space.objects.exists()
