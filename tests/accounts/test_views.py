import re

import pytest
from django.urls import reverse

from accounts.models import Membership, MembershipRole, Organisation, User
from accounts.services import structure_verify
from tests.factories import InvitationFactory, StructureFactory, UserFactory, make_siret
from tests.helpers import verification_documents_add

PASSWORD = "un-mot-de-passe-42"


@pytest.fixture
def english_client(client, settings):
    """Messages are checked in English, the source language (the switcher sets this cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _signup_data(**fields) -> dict:
    return {
        "first_name": "Camille",
        "last_name": "Dupont",
        "email": "camille@example.test",
        "password1": PASSWORD,
        "password2": PASSWORD,
    } | fields


def _structure_data(**fields) -> dict:
    return {"name": "Textimages", "ess_family": "association", "siret": make_siret(801)} | fields


def _input_tag(html: str, name: str) -> str:
    """The <input> element of a field, so its attributes can be checked."""
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


# --- Sign-up -------------------------------------------------------------------------------


def test_signup_post_creates_account(client, db):
    client.post(reverse("accounts:signup"), _signup_data())

    user = User.objects.get(email="camille@example.test")
    assert user.check_password(PASSWORD)


# Sign-up confirms the address before signing in: tests/accounts/test_auth.py.


def test_signup_post_with_different_passwords_creates_nothing(client, db):
    response = client.post(
        reverse("accounts:signup"), _signup_data(password2="another-password-43")
    )

    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()


# --- Structure registration ----------------------------------------------------------------


def test_structure_register_requires_login(client, db):
    url = reverse("accounts:structure-register")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_structure_register_post_creates_structure_and_shows_it(client, outsider):
    client.force_login(outsider)

    response = client.post(reverse("accounts:structure-register"), _structure_data())

    structure = Organisation.objects.get(name="Textimages")
    assert response.url == reverse("accounts:structure-detail", args=[structure.pk])
    assert Membership.objects.filter(
        organisation=structure, user=outsider, role=MembershipRole.ADMIN
    ).exists()


def test_structure_register_post_with_invalid_siret_rerenders_form(client, outsider):
    client.force_login(outsider)

    response = client.post(
        reverse("accounts:structure-register"), _structure_data(siret="123 456 789 01234")
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["siret"]
    assert not Organisation.objects.filter(name="Textimages").exists()


def test_structure_register_post_with_invalid_siret_marks_the_field(client, outsider):
    client.force_login(outsider)

    response = client.post(
        reverse("accounts:structure-register"), _structure_data(siret="123 456 789 01234")
    )

    html = response.content.decode()
    siret_input = _input_tag(html, "siret")
    described_by = re.search(r'aria-describedby="([^"]*)"', siret_input).group(1).split()
    assert 'aria-invalid="true"' in siret_input
    assert "id_siret_errors" in described_by
    assert 'id="id_siret_errors"' in html


def test_structure_register_post_with_invalid_siret_names_the_error(english_client, outsider):
    english_client.force_login(outsider)

    response = english_client.post(
        reverse("accounts:structure-register"), _structure_data(siret="123 456 789 01234")
    )

    assert "This SIRET is not valid (check the digits)." in response.content.decode()


def test_structure_register_post_leaves_valid_fields_unmarked(client, outsider):
    client.force_login(outsider)

    response = client.post(
        reverse("accounts:structure-register"), _structure_data(siret="123 456 789 01234")
    )

    assert "aria-invalid" not in _input_tag(response.content.decode(), "name")


# --- Verification by the intercommunality --------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "member", "commune_staff", "facilities_manager"])
def test_structures_to_verify_is_404_for_non_territory_admin(request, client, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("accounts:structures-to-verify"))

    assert response.status_code == 404


def test_structures_to_verify_lists_unverified_structures(client, territory_admin, structure):
    verified = StructureFactory(name="Structure vérifiée")
    verification_documents_add(verified)
    structure_verify(structure=verified, actor=territory_admin)
    client.force_login(territory_admin)

    response = client.get(reverse("accounts:structures-to-verify"))

    assert response.status_code == 200
    assert structure in response.context["structures"]
    assert verified not in response.context["structures"]


def test_structure_verify_post_by_territory_admin_verifies(client, territory_admin, structure):
    client.force_login(territory_admin)

    verification_documents_add(structure)
    response = client.post(
        reverse("accounts:structure-verify", args=[structure.pk]), {"confirm": "yes"}
    )

    structure.refresh_from_db()
    assert response.url == reverse("accounts:structure-detail", args=[structure.pk])
    assert structure.verified_by == territory_admin


@pytest.mark.parametrize("persona", ["member", "commune_staff", "outsider"])
def test_structure_verify_post_is_404_for_non_territory_admin(request, client, structure, persona):
    client.force_login(request.getfixturevalue(persona))

    verification_documents_add(structure)
    response = client.post(
        reverse("accounts:structure-verify", args=[structure.pk]), {"confirm": "yes"}
    )

    structure.refresh_from_db()
    assert response.status_code == 404
    assert structure.verified_at is None


def test_structure_verify_get_shows_documents_email_and_identifiers_without_acting(
    client, territory_admin, structure
):
    structure.email = "contact@mobilite.example"
    structure.save()
    verification_documents_add(structure)
    client.force_login(territory_admin)

    response = client.get(reverse("accounts:structure-verify", args=[structure.pk]))

    structure.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200
    assert "contact@mobilite.example" in page
    assert structure.siren in page
    for document in structure.documents.all():
        assert reverse("accounts:document-download", args=[document.pk]) in page
    assert 'name="confirm" value="yes"' in page
    assert structure.verified_at is None


def test_structure_verify_post_without_confirm_does_not_verify(client, territory_admin, structure):
    verification_documents_add(structure)
    client.force_login(territory_admin)

    response = client.post(reverse("accounts:structure-verify", args=[structure.pk]))

    structure.refresh_from_db()
    assert response.status_code == 200
    assert structure.verified_at is None


def test_structure_verify_without_mandatory_documents_says_which_are_missing(
    client, territory_admin, structure
):
    client.force_login(territory_admin)

    response = client.post(
        reverse("accounts:structure-verify", args=[structure.pk]), {"confirm": "yes"}, follow=True
    )

    structure.refresh_from_db()
    assert structure.verified_at is None
    assert "Statuts" in response.content.decode()
    assert "Attestation d’assurance" in response.content.decode()
    assert 'name="confirm"' not in response.content.decode()


# --- Invitation acceptance -----------------------------------------------------------------


@pytest.fixture
def invitation(structure, member):
    return InvitationFactory(
        organisation=structure, email="colleague@example.test", invited_by=member
    )


def test_invitation_page_offers_anonymous_visitor_to_sign_in_or_up(client, invitation):
    url = reverse("accounts:invitation-accept", args=[invitation.token])

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("accounts:login")}?next={url}"' in html
    assert f"{reverse('accounts:signup')}?email=colleague%40example.test" in html


def test_invitation_page_post_by_invited_user_creates_membership(client, invitation, structure):
    colleague = UserFactory(email="colleague@example.test")
    client.force_login(colleague)

    response = client.post(reverse("accounts:invitation-accept", args=[invitation.token]))

    assert response.url == reverse("accounts:structure-detail", args=[structure.pk])
    assert Membership.objects.filter(user=colleague, organisation=structure).exists()


def test_invitation_page_post_by_another_user_shows_error(english_client, invitation, outsider):
    english_client.force_login(outsider)

    response = english_client.post(reverse("accounts:invitation-accept", args=[invitation.token]))

    assert response.status_code == 200
    assert "This invitation was sent to colleague@example.test" in response.content.decode()
    assert not Membership.objects.filter(user=outsider).exists()


def test_invitation_page_post_by_anonymous_visitor_changes_nothing(client, invitation):
    response = client.post(reverse("accounts:invitation-accept", args=[invitation.token]))

    invitation.refresh_from_db()
    assert response.status_code == 200
    assert invitation.accepted_at is None


def test_invitation_page_is_404_for_unknown_token(client, db):
    response = client.get(reverse("accounts:invitation-accept", args=["not-a-token"]))

    assert response.status_code == 404
    assert "accounts/invitation_invalid.html" in [t.name for t in response.templates]


def test_invitation_page_is_404_once_used(client, invitation):
    colleague = UserFactory(email="colleague@example.test")
    client.force_login(colleague)
    client.post(reverse("accounts:invitation-accept", args=[invitation.token]))

    response = client.get(reverse("accounts:invitation-accept", args=[invitation.token]))

    assert response.status_code == 404
