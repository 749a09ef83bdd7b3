"""Waiting for a slot through the API (`/api/v1/slot-waits/`, issue 16): join the line for a
taken slot, list (own structure's waits; a manager sees the line of their spaces), accept the
slot offered (a booking, or a 409 when it was taken meanwhile), withdraw; another structure
gets 404; the list's queries do not grow with it.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import Booking, SlotWait, SlotWaitStatus
from bookings.rules import Period
from bookings.services import booking_refuse, slot_wait_join, slot_waits_offer
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
LIST = "/api/v1/slot-waits/"


def _member(name: str):
    return MembershipFactory(
        organisation=VerifiedStructureFactory(name=name), user=UserFactory()
    ).user


@pytest.fixture
def requester(db):
    return _member("Les Amis du Vélo")


@pytest.fixture
def other_requester(db):
    return _member("Repair Café du Denaisis")


@pytest.fixture
def taken(space, other_requester):
    return booking_request_for(space=space, requested_by=other_requester, start=START, end=END)


def _body(space, user, **changes) -> dict:
    return {
        "space": space.pk,
        "organisation": user.memberships.first().organisation_id,
        "start": START.isoformat(),
        "end": END.isoformat(),
        "purpose": "Assemblée générale",
        "attendees": 15,
        **changes,
    }


def _wait(space, user) -> SlotWait:
    return slot_wait_join(
        space=space,
        organisation=user.memberships.first().organisation,
        period=Period(START, END),
        purpose="Assemblée générale",
        attendees=15,
        requested_by=user,
    )


def test_a_structure_joins_the_line_through_the_api(client, space, requester, taken):
    client.force_login(requester)

    response = client.post(LIST, _body(space, requester), content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "waiting"
    assert response.json()["position"] == 1
    assert SlotWait.objects.get().requested_by == requester


def test_joining_twice_is_a_400_naming_the_slot(client, space, requester, taken):
    _wait(space, requester)
    client.force_login(requester)

    response = client.post(LIST, _body(space, requester), content_type="application/json")

    assert response.status_code == 400
    assert "attend déjà" in str(response.json())


def test_joining_for_another_structure_is_a_400(client, space, requester, other_requester, taken):
    client.force_login(requester)

    response = client.post(LIST, _body(space, other_requester), content_type="application/json")

    assert response.status_code == 400
    assert not SlotWait.objects.exists()


def test_hostile_input_is_a_french_400(client, space, requester, taken):
    client.force_login(requester)

    response = client.post(
        LIST,
        _body(space, requester, purpose="AG\x00", attendees=10**9),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert {"purpose", "attendees"} <= set(response.json())


def test_the_list_shows_own_waits_and_the_managers_line_not_others(
    client, space, requester, other_requester, taken, commune_staff
):
    wait = _wait(space, requester)

    client.force_login(other_requester)
    assert client.get(LIST).json()["results"] == []
    assert client.get(f"{LIST}{wait.pk}/").status_code == 404
    client.force_login(commune_staff)
    rows = client.get(LIST).json()["results"]
    assert [(row["id"], row["organisation_name"]) for row in rows] == [
        (wait.pk, "Les Amis du Vélo")
    ]


def test_the_list_reads_a_fixed_number_of_queries(client, space, requester, taken):
    client.force_login(requester)
    _wait(space, requester)
    client.get(LIST)  # the session and the user, read once
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for day in (13, 14, 15):
        start, end = paris(2027, 1, day, 18), paris(2027, 1, day, 20)
        booking_request_for(space=space, requested_by=taken.requested_by, start=start, end=end)
        slot_wait_join(
            space=space,
            organisation=requester.memberships.first().organisation,
            period=Period(start, end),
            purpose="AG",
            attendees=5,
            requested_by=requester,
        )

    with CaptureQueriesContext(connection) as four:
        response = client.get(LIST)

    assert len(response.json()["results"]) == 4
    assert len(four) == len(one) == 5


def test_accepting_the_offer_books_the_slot(client, space, requester, taken, commune_staff):
    wait = _wait(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Travaux")
    slot_waits_offer(space_id=space.pk)
    client.force_login(requester)

    response = client.post(f"{LIST}{wait.pk}/accept/", {}, content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "taken"
    booking = Booking.objects.get(pk=response.json()["booking"])
    assert (booking.start, booking.organisation_id) == (START, wait.organisation_id)


def test_accepting_a_slot_taken_meanwhile_is_a_409_and_the_wait_is_back_in_line(
    client, space, requester, taken, commune_staff
):
    wait = _wait(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Travaux")
    slot_waits_offer(space_id=space.pk)
    booking_request_for(space=space, requested_by=_member("Jardins"), start=START, end=END)
    client.force_login(requester)

    response = client.post(f"{LIST}{wait.pk}/accept/", {}, content_type="application/json")

    assert response.status_code == 409
    assert "reprend sa place" in str(response.json())
    wait.refresh_from_db()
    assert wait.status == SlotWaitStatus.WAITING


def test_accepting_with_nothing_on_offer_is_a_400(client, space, requester, taken):
    wait = _wait(space, requester)
    client.force_login(requester)

    response = client.post(f"{LIST}{wait.pk}/accept/", {}, content_type="application/json")

    assert response.status_code == 400
    assert "wait" in response.json()


def test_another_structure_gets_404_on_accept_and_withdraw(
    client, space, requester, other_requester, taken, commune_staff
):
    wait = _wait(space, requester)

    for user in (other_requester, commune_staff):
        client.force_login(user)
        assert client.post(f"{LIST}{wait.pk}/accept/").status_code == 404
        assert client.post(f"{LIST}{wait.pk}/withdraw/").status_code == 404
    wait.refresh_from_db()
    assert wait.status == SlotWaitStatus.WAITING


def test_withdrawing_through_the_api(client, space, requester, taken):
    wait = _wait(space, requester)
    client.force_login(requester)

    response = client.post(f"{LIST}{wait.pk}/withdraw/")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_anonymous_visitors_are_refused(client, space):
    assert client.get(LIST).status_code in (401, 403)
    assert reverse("api:slot-wait-list") == LIST
