"""API tokens on the API (issue 14): `Authorization: Bearer`, scopes, 401 vs 403, the cache,
last use, logs, and `GET /api/v1/me/`.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the slot is Tuesday 12 January.
"""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.debug import ExceptionReporter

from accounts.models import ApiTokenScope, MembershipRole
from accounts.services.tokens import api_token_create, api_token_hash, api_token_revoke
from bookings.models import Booking
from core.logging import JsonFormatter, RequestIdFilter
from tests.factories import (
    MembershipFactory,
    SiteFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

ME = reverse("api:me")
BOOKINGS = reverse("api:booking-list")
START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _fr(message: str) -> str:
    """`message` as a French request reads it (the French catalogue once it has it)."""
    with translation.override("fr"):
        return gettext(message)


def _token(user, *, scope=ApiTokenScope.WRITE, organisation=None, days=90, service=False):
    token, secret = api_token_create(
        actor=user,
        name="Logiciel de gestion",
        scope=scope,
        organisation=organisation,
        service=service,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, secret


def _bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def two_structures(db):
    """A person who acts for two verified structures."""
    first = VerifiedStructureFactory(name="Les Amis du Vélo")
    second = VerifiedStructureFactory(name="Repair Café")
    user = MembershipFactory(organisation=first, user=UserFactory(email="asso@example.test")).user
    MembershipFactory(organisation=second, user=user)
    return user, first, second


def _booking_body(space, organisation) -> dict:
    return {
        "space": space.pk,
        "organisation": organisation.pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "start": "2027-01-12T18:00:00+01:00",
        "end": "2027-01-12T20:00:00+01:00",
    }


# --- Authentication ---


def test_bearer_token_authenticates_a_get(client, member):
    _, secret = _token(member)

    response = client.get(ME, **_bearer(secret))

    assert response.status_code == 200
    assert response.json()["email"] == "member@example.test"


def test_bearer_token_posts_without_a_csrf_token(space, two_structures):
    user, first, _ = two_structures
    _, secret = _token(user)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        BOOKINGS, _booking_body(space, first), content_type="application/json", **_bearer(secret)
    )

    assert response.status_code == 201, response.json()


def test_session_still_needs_the_csrf_token(space, two_structures):
    user, first, _ = two_structures
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)

    response = strict.post(BOOKINGS, _booking_body(space, first), content_type="application/json")

    assert response.status_code == 403


def test_read_only_token_is_refused_a_post_with_403(client, space, two_structures):
    user, first, _ = two_structures
    _, secret = _token(user, scope=ApiTokenScope.READ)

    response = client.post(
        BOOKINGS, _booking_body(space, first), content_type="application/json", **_bearer(secret)
    )

    assert response.status_code == 403
    assert response.json()["detail"] == _fr(
        "This API token is read-only: it may not change anything."
    )
    assert not Booking.objects.exists()


def test_organisation_token_lists_only_that_organisations_bookings(client, space, two_structures):
    user, first, second = two_structures
    own = booking_request_for(
        space=space, requested_by=user, start=START, end=END, organisation=first
    )
    booking_request_for(
        space=space,
        requested_by=user,
        start=END,
        end=END + timedelta(hours=2),
        organisation=second,
    )
    _, secret = _token(user, organisation=first)

    response = client.get(BOOKINGS, **_bearer(secret))

    assert [row["id"] for row in response.json()["results"]] == [own.pk]


def test_organisation_token_may_not_book_for_the_users_other_organisation(
    client, space, two_structures
):
    user, first, second = two_structures
    _, secret = _token(user, organisation=first)

    response = client.post(
        BOOKINGS, _booking_body(space, second), content_type="application/json", **_bearer(secret)
    )

    assert response.status_code == 400
    assert "organisation" in response.json()
    assert not Booking.objects.exists()


def test_organisation_token_of_a_structure_is_not_the_territorys(client, territory_admin):
    structure = VerifiedStructureFactory(name="Ressourcerie")
    MembershipFactory(organisation=structure, user=territory_admin)
    _, secret = _token(territory_admin, organisation=structure)

    data = client.get(ME, **_bearer(secret)).json()

    assert data["is_territory_admin"] is False
    assert [org["id"] for org in data["organisations"]] == [structure.pk]


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("Bearer", "no token"),
        ("Bearer ", "empty token"),
        ("Bearer a b", "two words"),
        ("Bearer lc_short", "not a token's shape"),
        ("Bearer lc_" + "A" * 43, "unknown"),
        ("bearer lc_" + "é" * 43, "not ASCII"),
    ],
)
def test_bad_bearer_header_is_401_with_a_challenge(client, db, header, why):
    response = client.get(ME, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401, why
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_too_many_bad_tokens_from_one_address_are_429_but_a_good_token_still_works(
    client, member, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_token_invalid": "3/minute"}
    _, secret = _token(member)
    bad = {"HTTP_AUTHORIZATION": "Bearer lc_" + "A" * 43}

    statuses = [client.get(ME, **bad).status_code for _ in range(4)]
    throttled = client.get(ME, **bad)
    good = client.get(ME, **_bearer(secret))
    elsewhere = client.get(ME, REMOTE_ADDR="192.0.2.7", **bad)

    assert statuses == [401, 401, 401, 429]
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["detail"]
    assert good.status_code == 200  # only bad tokens are counted and held back
    assert elsewhere.status_code == 401  # per client address


def test_another_scheme_is_left_to_the_session_403(client, db):
    response = client.get(ME, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers


def test_anonymous_me_is_403(client, db):
    response = client.get(ME)

    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers


def test_expired_token_is_401(client, member):
    _, secret = _token(member, days=1)

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = client.get(ME, **_bearer(secret))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"] == _fr(
        "This API token is not valid: unknown, expired or revoked."
    )


def test_expired_token_is_401_even_while_cached(client, member):
    _, secret = _token(member, days=1)
    assert client.get(ME, **_bearer(secret)).status_code == 200  # cached now

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = client.get(ME, **_bearer(secret))

    assert response.status_code == 401


def test_revoked_token_is_refused_at_once_though_it_was_cached(client, member):
    token, secret = _token(member)
    assert client.get(ME, **_bearer(secret)).status_code == 200
    assert cache.get(f"api-token:{api_token_hash(secret)}") is not None

    api_token_revoke(actor=member, token=token)
    response = client.get(ME, **_bearer(secret))

    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_the_cache_is_keyed_by_the_hash_not_the_secret(client, member):
    _, secret = _token(member)

    client.get(ME, **_bearer(secret))

    assert cache.get(f"api-token:{api_token_hash(secret)}")["user_id"] == member.pk
    assert cache.get(f"api-token:{secret}") is None


def test_token_of_a_deactivated_user_is_401(client, member):
    _, secret = _token(member)
    type(member).objects.filter(pk=member.pk).update(is_active=False)

    assert client.get(ME, **_bearer(secret)).status_code == 401


def test_last_used_is_written_at_most_every_five_minutes(client, member):
    token, secret = _token(member)
    first_use = timezone.now()

    client.get(ME, **_bearer(secret))
    with time_machine.travel(first_use + timedelta(minutes=4), tick=False):
        client.get(ME, **_bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first_use

    with time_machine.travel(first_use + timedelta(minutes=6), tick=False):
        client.get(ME, **_bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first_use + timedelta(minutes=6)


def test_a_cached_request_does_not_write(client, member, django_assert_num_queries):
    _, secret = _token(member)
    client.get(ME, **_bearer(secret))  # first use: reads the token, writes last_used_at

    # The user, then /me's own four (memberships, bookable, territory, sites); no token read.
    with django_assert_num_queries(5):
        response = client.get(ME, **_bearer(secret))

    assert response.status_code == 200


# --- Tokens never reach the logs ---


def test_the_token_never_appears_in_logs_or_error_reports(client, member, caplog, rf):
    token, secret = _token(member)
    caplog.set_level(logging.DEBUG)

    client.get(ME, **_bearer(secret))
    client.get(reverse("api:booking-detail", args=[999_999]), **_bearer(secret))  # 404
    api_token_revoke(actor=member, token=token)
    client.get(ME, **_bearer(secret))  # 401
    client.get(f"{ME}?token={secret}", HTTP_AUTHORIZATION=f"Bearer {secret}x")  # malformed

    # Each line as the production log writes it (JSON, with the request id filter).
    formatter, request_ids = JsonFormatter(), RequestIdFilter()
    logged = "\n".join(
        formatter.format(record) for record in caplog.records if request_ids.filter(record)
    )
    assert "GET /api/v1/me/" in logged  # the request log did run
    assert secret not in logged
    # Django's error report (mail to the admins, the debug page) hides the header.
    request = rf.get(ME, **_bearer(secret))
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        report = ExceptionReporter(request, type(exc), exc, exc.__traceback__).get_traceback_text()
    assert "HTTP_AUTHORIZATION" in report
    assert secret not in report


# --- GET /api/v1/me/ ---


def test_me_for_a_member_lists_the_organisations_and_what_they_may_do(client, two_structures):
    user, _first, _second = two_structures
    unverified = VerifiedStructureFactory(name="Atelier", verified_at=None, verified_by=None)
    MembershipFactory(organisation=unverified, user=user, role=MembershipRole.ADMIN)
    client.force_login(user)

    data = client.get(ME).json()

    assert [(o["name"], o["can_book"]) for o in data["organisations"]] == [
        ("Atelier", False),
        ("Les Amis du Vélo", True),
        ("Repair Café", True),
    ]
    assert (data["can_book"], data["is_territory_admin"], data["managed_site_ids"]) == (
        True,
        False,
        [],
    )
    assert data["token"] is None


def test_me_for_a_facilities_manager_lists_their_sites(client, facilities_manager, site):
    SiteFactory()  # not theirs
    client.force_login(facilities_manager)

    data = client.get(ME).json()

    assert (data["managed_site_ids"], data["manages_all_sites"]) == ([site.pk], False)
    assert data["can_book"] is False


def test_me_for_the_territory_admin_with_a_service_token(client, territory_admin, epci):
    _, secret = _token(territory_admin, organisation=epci, service=True, scope="read")

    data = client.get(ME, **_bearer(secret)).json()

    assert (data["is_territory_admin"], data["manages_all_sites"]) == (True, True)
    assert data["organisations"][0]["id"] == epci.pk
    assert data["token"] == {
        "name": "Logiciel de gestion",
        "scope": "read",
        "organisation": epci.pk,
        "service": True,
        "expires_at": data["token"]["expires_at"],
    }


def test_me_query_count_does_not_grow_with_organisations_or_sites(
    client, facilities_manager, site, django_assert_num_queries
):
    client.force_login(facilities_manager)
    client.get(ME)

    # session, user, then memberships, bookable organisations, territory question, sites.
    with django_assert_num_queries(6):
        client.get(ME)
    for _ in range(5):
        MembershipFactory(organisation=VerifiedStructureFactory(), user=facilities_manager)
        SiteFactory().managers.add(facilities_manager)
    with django_assert_num_queries(6):
        data = client.get(ME).json()

    assert (len(data["organisations"]), len(data["managed_site_ids"])) == (5, 6)


def test_organisation_token_may_not_accept_another_structures_agreement(
    client, facilities_manager, verified, office, occupant
):
    from bookings.allocations import allocation_offer
    from bookings.models import AllocationStatus, FreeUseBasis

    offered = allocation_offer(
        actor=facilities_manager,
        structure=verified,
        spaces=[office],
        start=paris(2027, 2, 1).date(),
        end=paris(2028, 2, 1).date(),
        free_use_basis=FreeUseBasis.L2125_1,
        direct_reason="Un seul occupant possible",
    )
    other = VerifiedStructureFactory(name="Autre structure")
    MembershipFactory(organisation=other, user=occupant, role=MembershipRole.ADMIN)
    _, secret = _token(occupant, organisation=other)
    body = {"house_rules_accepted": True, "insurance_valid_until": "2027-12-31"}
    url = reverse("api:allocation-accept", args=[offered.pk])

    refused = client.post(url, body, content_type="application/json", **_bearer(secret))
    _, own_secret = _token(occupant, organisation=verified)
    accepted = client.post(url, body, content_type="application/json", **_bearer(own_secret))

    assert (refused.status_code, accepted.status_code) == (404, 200)
    offered.refresh_from_db()
    assert offered.status == AllocationStatus.ACCEPTED


def test_the_schema_declares_the_bearer_scheme_and_the_401(client, db):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert "cookieAuth" in schemes
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert {"bearerAuth": []} in me["security"]
    assert {"200", "401", "403", "429"} <= me["responses"].keys()
