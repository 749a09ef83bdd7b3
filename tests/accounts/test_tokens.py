"""API tokens on the profile (issue 14): created and shown once, stored hashed, revoked by
their owner (or the intercommunality for its service tokens), and the service's own checks."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, ApiTokenScope
from accounts.services.tokens import api_token_create, api_token_revoke
from tests.factories import MembershipFactory, UserFactory

TOKENS = reverse("accounts:api-tokens")
SECRET = re.compile(r'value="(lc_[A-Za-z0-9_-]{43})"')

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _create(user, **extra):
    values = {
        "actor": user,
        "name": "Agenda",
        "scope": ApiTokenScope.READ,
        "expires_at": timezone.now() + timedelta(days=30),
        **extra,
    }
    return api_token_create(**values)


def test_creation_shows_the_token_once_and_stores_only_its_hash(client, member):
    client.force_login(member)

    response = client.post(TOKENS, {"name": "Agenda", "scope": "read", "days": "90"})

    secret = SECRET.search(response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values_list().get())
    assert (token.scope, token.organisation, token.user) == ("read", None, member)
    assert token.expires_at == timezone.now() + timedelta(days=90)
    assert "no-store" in response.headers["Cache-Control"]  # the secret is kept nowhere
    again = client.get(TOKENS).content.decode()
    assert secret not in again
    assert token.prefix in again


def test_the_page_offers_only_the_users_organisations(client, member, structure, outsider):
    other = MembershipFactory(user=outsider).organisation
    client.force_login(member)

    response = client.post(
        TOKENS, {"name": "Agenda", "scope": "write", "days": "30", "organisation": other.pk}
    )

    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_page_refuses_more_than_a_year(client, member):
    client.force_login(member)

    response = client.post(TOKENS, {"name": "Agenda", "scope": "read", "days": "366"})

    assert "days" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_name_is_required_and_single_line(client, member):
    client.force_login(member)

    response = client.post(TOKENS, {"name": "a\nb", "scope": "read", "days": "30"})

    assert "name" in response.context["form"].errors


def test_the_page_needs_a_session(client, db):
    assert client.get(TOKENS).status_code == 302


def test_the_owner_revokes_their_token(client, member):
    token, _ = _create(member)
    client.force_login(member)

    response = client.post(reverse("accounts:api-token-revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.revoked_by, token.revoked_at) == (member, timezone.now())


def test_a_stranger_cannot_revoke_someone_elses_token_404(client, member, outsider):
    token, _ = _create(member)
    client.force_login(outsider)

    response = client.post(reverse("accounts:api-token-revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_colleague_of_the_intercommunality_revokes_its_service_token(
    client, territory_admin, epci
):
    token, _ = _create(territory_admin, organisation=epci, service=True)
    colleague = MembershipFactory(organisation=epci, user=UserFactory()).user
    client.force_login(colleague)
    page = client.get(TOKENS).content.decode()
    assert token.prefix in page

    client.post(reverse("accounts:api-token-revoke", args=[token.pk]))

    token.refresh_from_db()
    assert token.revoked_by == colleague


def test_a_colleague_may_not_revoke_a_personal_token(territory_admin, epci):
    token, _ = _create(territory_admin, organisation=epci)
    colleague = MembershipFactory(organisation=epci, user=UserFactory()).user

    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=colleague, token=token)


def test_the_intercommunality_creates_a_service_token_on_the_page(client, territory_admin, epci):
    client.force_login(territory_admin)

    client.post(
        TOKENS,
        {
            "name": "SIG",
            "scope": "read",
            "days": "365",
            "organisation": epci.pk,
            "service": "on",
        },
    )

    token = ApiToken.objects.get()
    assert (token.service, token.organisation) == (True, epci)


def test_a_structure_may_not_create_a_service_token(member, structure):
    with pytest.raises(PermissionDenied):
        _create(member, organisation=structure, service=True)


def test_a_structure_member_does_not_see_the_service_option(client, member):
    client.force_login(member)

    assert "service" not in client.get(TOKENS).context["form"].fields


def test_expiry_is_required_in_the_future_within_a_year(member):
    for expires_at in (timezone.now(), timezone.now() + timedelta(days=366, hours=2)):
        with pytest.raises(ValidationError):
            _create(member, expires_at=expires_at)
    assert not ApiToken.objects.exists()


def test_revoking_twice_answers_false(member):
    token, _ = _create(member)

    assert api_token_revoke(actor=member, token=token) is True
    assert api_token_revoke(actor=member, token=token) is False


def test_the_page_lists_a_members_tokens_with_their_state(client, member):
    active, _ = _create(member, name="Actif")
    revoked, _ = _create(member, name="Ancien")
    api_token_revoke(actor=member, token=revoked)
    client.force_login(member)

    page = client.get(TOKENS).content.decode()

    assert "Actif" in page
    assert "Ancien" in page
    assert page.count(reverse("accounts:api-token-revoke", args=[active.pk])) == 1
    assert reverse("accounts:api-token-revoke", args=[revoked.pk]) not in page


# --- The admin, for the platform's operators ---

ADMIN_TOKENS = reverse("admin:accounts_apitoken_changelist")


def test_an_operator_lists_tokens_without_their_hash_and_revokes_one_reported_leaked(
    client, member
):
    token, secret = _create(member, name="Agenda de la mairie")
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)

    listing = client.get(ADMIN_TOKENS)
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    revoked = client.post(
        ADMIN_TOKENS, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert listing.status_code == 200
    assert "Agenda de la mairie" in listing.content.decode()
    for page in (listing, detail, revoked):
        assert token.key_hash not in page.content.decode()
        assert secret not in page.content.decode()
    token.refresh_from_db()
    assert (token.revoked_by, token.revoked_at) == (operator, timezone.now())
    assert not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).exists()


def test_staff_who_are_not_operators_do_not_see_the_tokens(client, member):
    token, _ = _create(member)
    client.force_login(UserFactory(is_staff=True))

    listing = client.get(ADMIN_TOKENS)
    revoked = client.post(ADMIN_TOKENS, {"action": "revoke", "_selected_action": [token.pk]})

    assert listing.status_code == 403
    assert revoked.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
