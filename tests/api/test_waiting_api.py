"""The waiting list through the API: a verified structure registers its need, reads and closes
its needs; who manages premises sees the needs each vacant space fits.

The same services and selectors as the waiting-list pages (calls.services.waiting,
calls.selectors): a structure one does not act for is a 400 on `structure`, another's entry a
404, and the candidates are for who manages premises (404 otherwise).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiTokenScope
from accounts.services.tokens import api_token_create
from calls.models import WaitingListEntry
from calls.services import waiting_entry_register
from spaces.models import SpaceKind
from tests.factories import SpaceFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")

WAITING = reverse("api:waiting-list")
CANDIDATES = reverse("api:waiting-candidates")


def close_url(entry) -> str:
    return reverse("api:waiting-close", args=[entry.pk])


def test_a_verified_structure_registers_its_need(client, occupant, verified, commune):
    client.force_login(occupant)

    response = client.post(
        WAITING,
        {
            "structure": verified.pk,
            "kind": "office",
            "min_surface_m2": 20,
            "max_surface_m2": 60,
            "communes": [commune.pk],
            "wanted_from": "2027-03-01",
            "notes": "Un bureau accessible\npour quatre salariés.",
        },
        "application/json",
    )

    assert response.status_code == 201, response.json()
    entry = WaitingListEntry.objects.get()
    body = response.json()
    assert body["id"] == entry.pk
    assert body["structure"] == verified.pk
    assert body["structure_name"] == verified.name
    assert body["communes"] == [commune.pk]
    assert body["wanted_from"] == "2027-03-01"
    assert body["closed_at"] is None
    assert client.get(WAITING).json()["results"] == [body]


def test_the_services_rule_is_a_400_naming_the_field(client, occupant, verified):
    client.force_login(occupant)

    response = client.post(
        WAITING,
        {"structure": verified.pk, "kind": "office", "min_surface_m2": 80, "max_surface_m2": 20},
        "application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["max_surface_m2"]
    assert not WaitingListEntry.objects.exists()


def test_a_structure_not_verified_or_not_ones_own_is_a_400(client, member, structure, verified):
    client.force_login(member)  # an administrator of an unverified structure

    for pk in (structure.pk, verified.pk):
        response = client.post(WAITING, {"structure": pk, "kind": "office"}, "application/json")
        assert response.status_code == 400
        assert list(response.json()) == ["structure"]
    assert not WaitingListEntry.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "castle"},
        {"min_surface_m2": 10**20},
        {"min_surface_m2": 0},
        {"communes": ["99999"]},
        {"communes": ["59172\x00"]},
        {"communes": "59172"},
        {"wanted_from": "tomorrow"},
        {"notes": "x\x00y"},
        {"notes": "x" * 6000},
        {"structure": 10**20},
    ],
)
def test_hostile_input_is_a_400(client, occupant, verified, commune, changes):
    client.force_login(occupant)

    body = {"structure": verified.pk, "kind": "office", **changes}
    response = client.post(WAITING, body, "application/json")

    assert response.status_code == 400
    assert not WaitingListEntry.objects.exists()


def test_a_member_closes_the_need_once(client, occupant, verified):
    entry = waiting_entry_register(actor=occupant, structure=verified, kind=SpaceKind.OFFICE)
    client.force_login(occupant)

    response = client.post(close_url(entry), {}, "application/json")

    assert response.status_code == 200
    closed_at = response.json()["closed_at"]
    assert closed_at is not None
    again = client.post(close_url(entry), {}, "application/json")
    assert again.status_code == 200
    assert again.json()["closed_at"] == closed_at


def test_anothers_need_is_a_404_and_stays_open(client, occupant, verified, booker, territory_admin):
    entry = waiting_entry_register(actor=occupant, structure=verified, kind=SpaceKind.OFFICE)

    for user in (booker, territory_admin):
        client.force_login(user)
        assert client.post(close_url(entry), {}, "application/json").status_code == 404
        assert client.get(WAITING).json()["count"] == 0
    entry.refresh_from_db()
    assert entry.closed_at is None


def test_anonymous_is_a_403(client, occupant, verified):
    entry = waiting_entry_register(actor=occupant, structure=verified, kind=SpaceKind.OFFICE)

    assert client.get(WAITING).status_code == 403
    assert client.post(close_url(entry), {}, "application/json").status_code == 403
    assert client.get(CANDIDATES).status_code == 403


def test_a_read_token_lists_but_may_not_register(client, occupant, verified):
    _token, secret = api_token_create(
        actor=occupant,
        name="Site",
        scope=ApiTokenScope.READ,
        expires_at=timezone.now() + timedelta(days=30),
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    assert client.get(WAITING, **auth).status_code == 200
    response = client.post(
        WAITING, {"structure": verified.pk, "kind": "office"}, "application/json", **auth
    )
    assert response.status_code == 403
    assert not WaitingListEntry.objects.exists()


def test_a_manager_sees_the_needs_a_vacant_space_fits(
    client, facilities_manager, site, occupant, verified, commune, other_commune
):
    office = SpaceFactory(
        site=site,
        name="Bureau 4",
        kind=SpaceKind.OFFICE,
        allocatable=True,
        surface_m2=Decimal("40"),
        vacant_since=date(2026, 9, 1),
    )
    fits = waiting_entry_register(
        actor=occupant, structure=verified, kind=SpaceKind.OFFICE, communes=[commune]
    )
    waiting_entry_register(  # elsewhere
        actor=occupant, structure=verified, kind=SpaceKind.OFFICE, communes=[other_commune]
    )
    waiting_entry_register(  # too small
        actor=occupant, structure=verified, kind=SpaceKind.OFFICE, max_surface_m2=30
    )
    client.force_login(facilities_manager)

    [row] = client.get(CANDIDATES).json()

    assert row["space"] == office.pk
    assert row["site"] == site.pk
    assert [entry["id"] for entry in row["entries"]] == [fits.pk]


def test_the_candidates_are_a_404_for_who_manages_nothing(client, occupant):
    client.force_login(occupant)

    assert client.get(CANDIDATES).status_code == 404
