"""Bookings API: requests (201, 409, 400), availability, occupancy, decisions, query counts.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the usual slot is Tuesday
12 January, 18:00–20:00.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import Booking, BookingStatus, Frequency
from bookings.rules import Period
from bookings.services import booking_cancel, closure_create
from spaces.models import SiteManager
from tests.factories import (
    AmenityFactory,
    MembershipFactory,
    PhotoFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

BOOKINGS = reverse("api:booking-list")
AVAILABILITY = reverse("api:availability")
START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
SLOT = {"start": "2027-01-12T18:00:00+01:00", "end": "2027-01-12T20:00:00+01:00"}


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def other_requester(db):
    organisation = VerifiedStructureFactory(name="Repair Café du Denaisis")
    return MembershipFactory(
        organisation=organisation, user=UserFactory(email="repair@example.test")
    ).user


def _organisation_id(user) -> int:
    return user.memberships.get().organisation_id


def _body(space, user, **extra) -> dict:
    return {
        "space": space.pk,
        "organisation": _organisation_id(user),
        "purpose": "Assemblée générale",
        "attendees": 12,
        **SLOT,
        **extra,
    }


def _post(client, user, body: dict):
    client.force_login(user)
    return client.post(BOOKINGS, body, content_type="application/json")


def _book(space, user, start=START, end=END, **extra) -> Booking:
    return booking_request_for(space=space, requested_by=user, start=start, end=end, **extra)


def _instants(rows: list[dict], *keys: str) -> list[tuple[datetime, ...]]:
    """The datetimes of JSON rows, parsed, so that offsets (Z, +01:00) do not matter."""
    return [tuple(datetime.fromisoformat(row[key]) for key in keys) for row in rows]


def _url(name: str, pk: int) -> str:
    return reverse(f"api:{name}", args=[pk])


# --- POST /api/v1/bookings/ ---


def test_booking_create_api_returns_201_with_the_occurrences(client, space, requester):
    body = _body(space, requester, frequency=Frequency.WEEKLY, repeat_count=3)

    response = _post(client, requester, body)

    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["organisation"]) == (BookingStatus.PENDING, "Les Amis du Vélo")
    assert _instants(data["occurrences"], "start", "end") == [
        (START + timedelta(weeks=n), END + timedelta(weeks=n)) for n in range(3)
    ]


def test_booking_create_api_returns_409_with_the_clashing_periods(
    client, space, requester, other_requester
):
    _book(space, other_requester)
    body = _body(
        space, requester, start="2027-01-12T19:00:00+01:00", end="2027-01-12T21:00:00+01:00"
    )

    response = _post(client, requester, body)

    assert response.status_code == 409
    assert _instants(
        response.json()["conflicts"], "requested_start", "requested_end", "start", "end"
    ) == [(START + timedelta(hours=1), END + timedelta(hours=1), START, END)]
    assert Booking.objects.count() == 1


def test_booking_create_api_409_for_a_series_lists_every_clashing_date(
    client, space, requester, other_requester
):
    for week in (1, 3):
        _book(space, other_requester, START + timedelta(weeks=week), END + timedelta(weeks=week))
    body = _body(space, requester, frequency=Frequency.WEEKLY, repeat_count=4)

    response = _post(client, requester, body)

    assert response.status_code == 409
    assert _instants(response.json()["conflicts"], "requested_start") == [
        (START + timedelta(weeks=1),),
        (START + timedelta(weeks=3),),
    ]


def test_booking_create_api_with_skip_conflicts_books_the_free_dates(
    client, space, requester, other_requester
):
    _book(space, other_requester, START + timedelta(weeks=1), END + timedelta(weeks=1))
    body = _body(space, requester, frequency=Frequency.WEEKLY, repeat_count=3, skip_conflicts=True)

    response = _post(client, requester, body)

    assert response.status_code == 201
    assert _instants(response.json()["occurrences"], "start") == [
        (START,),
        (START + timedelta(weeks=2),),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start", "2027-01-12T18:00:00"),  # no offset: refused, not guessed
        ("start", "2027-03-28T02:30:00+01:00"),  # does not exist in Paris
        ("start", "2027-03-28T02:30:00+02:00"),  # nor written with the summer offset
        ("start", "2027-01-12T18:00:00+05:00"),  # not a French offset
        ("start", "2027-02-30T18:00:00+01:00"),  # no 30 February
        ("start", "mardi prochain"),
        ("start", "0001-01-01T00:00:00+01:00"),  # out of range once in UTC
        ("end", "9999-12-31T23:59:59-01:00"),
        ("end", "2027-01-12T17:00:00+01:00"),  # before the start
        ("end", "2027-01-12T18:00:00+01:00"),  # zero length
        ("repeat_until", "2027-13-01"),
        ("repeat_until", "9999-12-31"),
        ("repeat_count", 10_000),
        ("attendees", 0),
        ("frequency", "daily"),
    ],
)
def test_booking_create_api_returns_400_naming_the_bad_field(
    client, space, requester, field, value
):
    extra = {"frequency": Frequency.WEEKLY} if field.startswith("repeat_") else {}

    response = _post(client, requester, _body(space, requester, **extra, **{field: value}))

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Booking.objects.exists()


def test_booking_create_api_returns_400_for_a_rule_of_the_space(client, space, requester):
    body = _body(space, requester, attendees=space.capacity + 1)

    response = _post(client, requester, body)

    assert response.status_code == 400
    assert list(response.json()) == ["attendees"]


def test_booking_create_api_refuses_an_organisation_that_is_not_yours(
    client, space, requester, other_requester
):
    body = _body(space, requester, organisation=_organisation_id(other_requester))

    response = _post(client, requester, body)

    assert response.status_code == 400
    assert list(response.json()) == ["organisation"]
    assert not Booking.objects.exists()


def test_booking_create_api_refuses_a_space_of_an_unpublished_site(client, requester):
    hidden = SpaceFactory(site=SiteFactory(is_published=False))

    response = _post(client, requester, _body(hidden, requester))

    assert response.status_code == 400
    assert list(response.json()) == ["space"]
    assert not Booking.objects.exists()


def test_booking_create_api_refuses_a_space_that_does_not_exist(client, requester, space):
    response = _post(client, requester, {**_body(space, requester), "space": space.pk + 1000})

    assert response.status_code == 400
    assert list(response.json()) == ["space"]
    assert not Booking.objects.exists()


def test_booking_create_api_lets_a_manager_of_an_unpublished_site_book_for_their_structure(
    client, requester
):
    """The locked read sees a published site's space without asking; an unpublished one is
    visible to those who manage it (spaces.selectors.site_visible_to)."""
    site = SiteFactory(is_published=False)
    SiteManager.objects.create(site=site, user=requester)
    hidden = SpaceFactory(site=site)

    response = _post(client, requester, _body(hidden, requester))

    assert response.status_code == 201
    assert Booking.objects.get().space == hidden


def test_booking_create_api_refuses_anonymous_clients(client, space, requester):
    response = client.post(BOOKINGS, _body(space, requester), content_type="application/json")

    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_booking_list_api_shows_only_the_bookings_of_your_organisation(
    client, space, requester, other_requester
):
    own = _book(space, requester)
    _book(space, other_requester, END, END + timedelta(hours=2))
    client.force_login(requester)

    response = client.get(BOOKINGS)

    assert [row["id"] for row in response.json()["results"]] == [own.pk]


# --- GET /api/v1/availability/ ---


def test_availability_api_lists_only_the_free_spaces(client, site, space, requester):
    free = SpaceFactory(site=site, name="Salle libre")
    _book(space, requester)

    response = client.get(AVAILABILITY, SLOT)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [free.pk]


def test_availability_api_counts_the_buffer_of_a_booked_space(client, site, space, requester):
    space.buffer_minutes = 30
    space.save()
    _book(space, requester)
    just_after = {"start": "2027-01-12T20:15:00+01:00", "end": "2027-01-12T21:00:00+01:00"}

    response = client.get(AVAILABILITY, just_after)

    assert response.json()["results"] == []


def test_availability_api_applies_the_catalogue_filters(client, site, space):
    big = SpaceFactory(site=site, name="Grande salle", capacity=80)

    response = client.get(AVAILABILITY, {**SLOT, "capacity_min": 30})

    assert [row["id"] for row in response.json()["results"]] == [big.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"start": SLOT["start"]},
        {"start": "demain", "end": SLOT["end"]},
        {"start": "2027-01-12T18:00:00", "end": "2027-01-12T20:00:00"},
        {"start": SLOT["end"], "end": SLOT["start"]},
        {"start": "2027-01-12T18:00:00+01:00", "end": "2027-03-12T18:00:00+01:00"},
        {"start": "0001-01-01T00:00:00+01:00", "end": "0001-01-01T02:00:00+01:00"},
        {"start": "9999-12-31T20:00:00+01:00", "end": "9999-12-31T22:00:00+01:00"},
    ],
    ids=[
        "no end",
        "malformed",
        "no offset",
        "end before start",
        "over 31 days",
        "year 1",
        "year 9999",
    ],
)
def test_availability_api_refuses_bad_parameters(client, space, params):
    response = client.get(AVAILABILITY, params)

    assert response.status_code == 400


# --- GET /api/v1/spaces/<id>/occupancy/ ---


def test_space_occupancy_api_hides_who_booked_from_anonymous_users(client, space, requester):
    _book(space, requester)

    response = client.get(_url("space-occupancy", space.pk), SLOT)

    assert response.status_code == 200
    assert [(row["status"], row["label"]) for row in response.json()] == [("pending", None)]


def test_space_occupancy_api_hides_who_booked_from_other_organisations(
    client, space, requester, other_requester
):
    _book(space, requester)
    client.force_login(other_requester)

    response = client.get(_url("space-occupancy", space.pk), SLOT)

    assert [row["label"] for row in response.json()] == [None]


def test_space_occupancy_api_shows_who_booked_to_the_sites_manager(
    client, space, requester, facilities_manager
):
    _book(space, requester, purpose="Atelier réparation")
    client.force_login(facilities_manager)

    response = client.get(_url("space-occupancy", space.pk), SLOT)

    assert [row["label"] for row in response.json()] == ["Les Amis du Vélo — Atelier réparation"]


# --- Decisions and cancellations ---


@pytest.mark.parametrize("action", ["booking-approve", "booking-refuse", "booking-cancel"])
def test_booking_decision_api_is_404_for_an_outsider(client, space, requester, outsider, action):
    booking = _book(space, requester)
    client.force_login(outsider)

    response = client.post(_url(action, booking.pk), {"reason": "Non"})

    booking.refresh_from_db()
    assert response.status_code == 404
    assert booking.status == BookingStatus.PENDING


@pytest.mark.parametrize("action", ["booking-approve", "booking-refuse"])
def test_booking_decision_api_is_404_for_the_requester(client, space, requester, action):
    booking = _book(space, requester)
    client.force_login(requester)

    response = client.post(_url(action, booking.pk), {"reason": "Je m'accepte"})

    booking.refresh_from_db()
    assert response.status_code == 404
    assert booking.status == BookingStatus.PENDING


def test_booking_cancel_api_is_404_for_another_organisation(
    client, space, requester, other_requester
):
    booking = _book(space, requester)
    client.force_login(other_requester)

    response = client.post(_url("booking-cancel", booking.pk), {"reason": "Non"})

    assert response.status_code == 404


def test_booking_approve_api_by_the_manager_confirms_and_logs(
    client, space, requester, facilities_manager
):
    booking = _book(space, requester)
    client.force_login(facilities_manager)

    response = client.post(_url("booking-approve", booking.pk))

    assert response.status_code == 200
    assert response.json()["status"] == BookingStatus.CONFIRMED
    assert response.json()["log"][-1]["actor"] == facilities_manager.email


def test_booking_refuse_api_without_a_reason_is_400_on_reason(
    client, space, requester, facilities_manager
):
    booking = _book(space, requester)
    client.force_login(facilities_manager)

    response = client.post(_url("booking-refuse", booking.pk), {"reason": ""})

    assert response.status_code == 400
    assert list(response.json()) == ["reason"]


def test_booking_refuse_api_of_a_confirmed_booking_is_409(
    client, space, requester, facilities_manager
):
    booking = _book(space, requester)
    client.force_login(facilities_manager)
    client.post(_url("booking-approve", booking.pk))

    response = client.post(_url("booking-refuse", booking.pk), {"reason": "Finalement non"})

    assert response.status_code == 409
    assert response.json()["status"] == BookingStatus.CONFIRMED


def test_booking_cancel_api_of_one_date_by_the_requester(client, space, requester):
    booking = _book(space, requester, frequency=Frequency.WEEKLY, repeat_count=3)
    client.force_login(requester)
    second = (START + timedelta(weeks=1)).isoformat()

    response = client.post(
        _url("booking-cancel", booking.pk),
        {"reason": "Vacances", "occurrence_start": second},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert [row["active"] for row in response.json()["occurrences"]] == [True, False, True]


def test_booking_cancel_api_too_late_for_the_requester_is_400(client, space, requester):
    booking = _book(space, requester)
    client.force_login(requester)

    with time_machine.travel(START - timedelta(hours=2), tick=False):
        response = client.post(_url("booking-cancel", booking.pk), {"reason": "Empêchement"})

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# --- Query counts do not grow with the rows returned ---


def _count_queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def _more_bookings(space, users: list, weeks: int = 4) -> None:
    """Series of several organisations, with a cancelled date and decisions in their logs."""
    for hour, user in zip((8, 10, 12, 14), users, strict=False):
        booking = _book(
            space,
            user,
            START.replace(hour=hour),
            START.replace(hour=hour + 2),
            frequency=Frequency.WEEKLY,
            repeat_count=weeks,
        )
        booking_cancel(
            booking=booking,
            actor=user,
            reason="Vacances",
            occurrence_start=booking.start + timedelta(weeks=1),
        )


def _members(count: int) -> list:
    return [
        MembershipFactory(organisation=VerifiedStructureFactory(), user=UserFactory()).user
        for _ in range(count)
    ]


def test_booking_list_api_query_count_does_not_grow_with_the_rows(
    client, space, requester, territory_admin, django_assert_num_queries
):
    _book(space, requester)
    client.force_login(territory_admin)
    client.get(BOOKINGS)  # warm-up: per-process caches are not what this test measures
    few = _count_queries(client, BOOKINGS)
    _more_bookings(space, _members(4))

    with django_assert_num_queries(few):
        response = client.get(BOOKINGS)

    assert response.json()["count"] == 5


def test_availability_api_query_count_does_not_grow_with_the_rows(
    client, site, space, requester, django_assert_num_queries
):
    client.get(AVAILABILITY, SLOT)  # warm-up
    few = _count_queries(client, AVAILABILITY, SLOT)
    for n in range(6):
        other = SpaceFactory(site=SiteFactory(), buffer_minutes=15 * (n % 2))
        other.amenities.add(AmenityFactory(), AmenityFactory())
        PhotoFactory(site=other.site, space=other)
    _book(space, requester)

    with django_assert_num_queries(few):
        response = client.get(AVAILABILITY, SLOT)

    assert response.json()["count"] == 6


def test_space_occupancy_api_query_count_does_not_grow_with_the_rows(
    client, site, space, requester, facilities_manager, territory_admin, django_assert_num_queries
):
    week = {"start": "2027-01-11T00:00:00+01:00", "end": "2027-01-18T00:00:00+01:00"}
    url = _url("space-occupancy", space.pk)
    _book(space, requester)
    client.force_login(facilities_manager)
    client.get(url, week)  # warm-up
    few = _count_queries(client, url, week)
    _more_bookings(space, _members(4), weeks=2)
    closure_create(
        actor=territory_admin,
        space=space,
        period=Period(paris(2027, 1, 13), paris(2027, 1, 14)),
        reason="Désinfection",
    )

    with django_assert_num_queries(few):
        response = client.get(url, week)

    assert len(response.json()) == 6
