"""Several rooms at once through the API (issue 16): POST /api/v1/booking-groups/ returns every
booking created, a 409 lists every clash with its room, the group is a 404 to whoever sees
none of its bookings, managers approve or refuse all its rooms in one call. The query count of
a creation grows by a constant per room.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.db import connection
from django.urls import reverse

from bookings.models import Booking, BookingGroup, BookingStatus
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)
from tests.helpers import requesters

GROUPS = reverse("api:booking-group-list")
SLOT = {"start": "2027-01-12T18:00:00+01:00", "end": "2027-01-12T20:00:00+01:00"}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def requester(db):
    organisation = VerifiedStructureFactory(name="Les Amis du Vélo")
    return MembershipFactory(
        organisation=organisation, user=UserFactory(email="asso@example.test")
    ).user


@pytest.fixture
def rooms(site):
    return [
        SpaceFactory(site=site, name=name, instant_confirmation=False)
        for name in ("Grande salle", "Cuisine", "Salle annexe")
    ]


def _body(rooms, requester, **extra) -> dict:
    return {
        "spaces": [room.pk for room in rooms],
        "organisation": requester.memberships.get().organisation_id,
        "purpose": "Forum des associations",
        "attendees": 12,
        **SLOT,
        **extra,
    }


def _group(client, rooms, requester) -> int:
    client.force_login(requester)
    response = client.post(GROUPS, _body(rooms, requester), "application/json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_a_group_request_returns_every_booking_created(client, rooms, requester):
    client.force_login(requester)

    response = client.post(GROUPS, _body(rooms, requester), "application/json")

    assert response.status_code == 201
    data = response.json()
    assert [booking["space"] for booking in data["bookings"]] == [room.pk for room in rooms]
    assert {booking["group"] for booking in data["bookings"]} == {data["id"]}
    assert {booking["status"] for booking in data["bookings"]} == {"pending"}
    # The 201 is what GET answers.
    assert client.get(reverse("api:booking-group-detail", args=[data["id"]])).json() == data


def test_a_clash_is_a_409_listing_every_clash_with_its_room(client, rooms, requester):
    other = MembershipFactory(organisation=VerifiedStructureFactory()).user
    for room in rooms[1:]:
        booking_request_for(
            space=room,
            requested_by=other,
            start=paris(2027, 1, 12, 19),
            end=paris(2027, 1, 12, 21),
        )
    client.force_login(requester)

    response = client.post(GROUPS, _body(rooms, requester), "application/json")

    assert response.status_code == 409
    conflicts = response.json()["conflicts"]
    assert [conflict["space"] for conflict in conflicts] == [room.pk for room in rooms[1:]]
    assert conflicts[0]["reason"].startswith("Cuisine : ")
    assert not BookingGroup.objects.exists()
    assert Booking.objects.count() == 2


@pytest.mark.parametrize(
    ("spaces", "field"),
    [
        (lambda rooms: [rooms[0].pk], "spaces"),
        (lambda rooms: [rooms[0].pk, rooms[0].pk], "spaces"),
        (lambda rooms: [rooms[0].pk, 10**9], "spaces"),
        (lambda rooms: [rooms[0].pk] * 11, "spaces"),
    ],
)
def test_bad_rooms_are_a_400_and_nothing_is_booked(client, rooms, requester, spaces, field):
    client.force_login(requester)

    response = client.post(
        GROUPS, {**_body(rooms, requester), "spaces": spaces(rooms)}, "application/json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert not Booking.objects.exists()


def test_rooms_of_another_building_are_a_400(client, rooms, requester, other_site):
    client.force_login(requester)
    elsewhere = SpaceFactory(site=other_site)

    response = client.post(GROUPS, _body([rooms[0], elsewhere], requester), "application/json")

    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_the_group_is_a_404_to_another_structure_and_to_anonymous_visitors(
    client, rooms, requester
):
    pk = _group(client, rooms, requester)
    detail = reverse("api:booking-group-detail", args=[pk])
    stranger = MembershipFactory(organisation=VerifiedStructureFactory()).user

    client.logout()
    anonymous = client.get(detail).status_code
    client.force_login(stranger)

    assert client.get(detail).status_code == 404
    assert anonymous in (401, 403, 404)
    assert client.post(reverse("api:booking-group-approve", args=[pk])).status_code == 404


def test_a_manager_approves_every_room_in_one_call(client, rooms, requester, facilities_manager):
    pk = _group(client, rooms, requester)
    client.force_login(facilities_manager)

    response = client.post(reverse("api:booking-group-approve", args=[pk]))

    assert response.status_code == 200
    assert {booking["status"] for booking in response.json()["bookings"]} == {"confirmed"}


def test_the_requester_may_not_approve_its_group(client, rooms, requester):
    pk = _group(client, rooms, requester)

    response = client.post(reverse("api:booking-group-approve", args=[pk]))

    assert response.status_code == 404
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.PENDING}


def test_a_manager_refuses_every_room_with_one_reason(client, rooms, requester, facilities_manager):
    pk = _group(client, rooms, requester)
    client.force_login(facilities_manager)

    missing = client.post(reverse("api:booking-group-refuse", args=[pk]))
    response = client.post(
        reverse("api:booking-group-refuse", args=[pk]),
        {"reason": "Bâtiment fermé ce jour-là"},
        "application/json",
    )

    assert missing.status_code == 400
    assert response.status_code == 200
    assert {booking["status"] for booking in response.json()["bookings"]} == {"refused"}


def test_the_structure_cancels_every_room_in_one_call_and_others_get_a_404(
    client, rooms, requester
):
    pk = _group(client, rooms, requester)
    url = reverse("api:booking-group-cancel", args=[pk])
    (another_structure,) = requesters(1)
    client.force_login(another_structure)
    outsider = client.post(url, {"reason": "Non"}, "application/json")
    client.force_login(requester)

    missing = client.post(url)
    response = client.post(url, {"reason": "Forum reporté"}, "application/json")

    assert (outsider.status_code, missing.status_code, response.status_code) == (404, 400, 200)
    assert {booking["status"] for booking in response.json()["bookings"]} == {"cancelled"}


# Per room, as for a single request (tests/api/test_booking_create_queries.py): the locked
# space (which says the room asks no question: they are not read), the clash check, the
# booking, its dates, the monthly summary, its log, and the savepoint and its release. Once for the group: the session and the user, the
# request's savepoint and release, the rooms locked (in id order), the group row and the
# UPDATE putting the bookings in it, and the messages once for all the rooms (the routing's
# reads, the notifications' and the outbox's INSERTs).
PER_ROOM = 8
GROUP_FIXED = {"sqlite": 12, "postgresql": 12}


@pytest.mark.parametrize("count", [2, 3])
def test_a_group_request_costs_a_constant_per_room(
    client, site, requester, count, django_assert_num_queries
):
    rooms = [SpaceFactory(site=site, instant_confirmation=False) for _ in range(count)]
    client.force_login(requester)
    client.post(
        GROUPS,
        _body(rooms, requester, start="2027-01-05T10:00:00+01:00", end="2027-01-05T11:00:00+01:00"),
        "application/json",
    )

    with django_assert_num_queries(GROUP_FIXED[connection.vendor] + PER_ROOM * count):
        response = client.post(GROUPS, _body(rooms, requester), "application/json")

    assert response.status_code == 201
