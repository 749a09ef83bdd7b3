"""Check-in through the API (issue 16): `POST /api/v1/bookings/{id}/check-in/` for the
structure's members and, with a date, its managers (404 for anyone else, 409 outside the
window), `POST …/no-show/undo/` for its managers, and the check-in state of each date in the
booking's detail.

The clock starts on Monday 4 January 2027, 09:00 in Paris; the booked date is Tuesday 12
January, 18:00–22:00, on a space requiring check-in with 15 minutes' grace.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from api.bookings import BookingOutputSerializer, booking_represented
from bookings.selectors import booking_detail
from bookings.services import bookings_release_no_shows, check_in_settings_set
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

pytestmark = [pytest.mark.django_db]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 22)


@pytest.fixture
def requester(db):
    return MembershipFactory(
        organisation=VerifiedStructureFactory(name="Les Amis du Vélo"),
        user=UserFactory(email="asso@example.test"),
    ).user


@pytest.fixture
def other_requester(db):
    return MembershipFactory(
        organisation=VerifiedStructureFactory(name="Repair Café"),
        user=UserFactory(email="repair@example.test"),
    ).user


@pytest.fixture
def booking(site, facilities_manager, requester, frozen_clock):
    space = SpaceFactory(site=site, name="Salle Usinor", instant_confirmation=True)
    check_in_settings_set(space=space, actor=facilities_manager, required=True, grace_minutes=15)
    return booking_request_for(space=space, requested_by=requester, start=START, end=END)


def _undo(client, user, booking):
    client.force_login(user)
    return client.post(
        reverse("api:booking-no-show-undo", args=[booking.pk]),
        {"occurrence_start": START.isoformat()},
        content_type="application/json",
    )


def _check_in(client, user, booking, body=None):
    client.force_login(user)
    return client.post(
        reverse("api:booking-check-in", args=[booking.pk]),
        body or {},
        content_type="application/json",
    )


def test_a_member_checks_in_and_the_detail_says_when(client, booking, requester):
    with time_machine.travel(START - timedelta(minutes=10), tick=False):
        response = _check_in(client, requester, booking)

    assert response.status_code == 200, response.content
    [date] = response.json()["occurrences"]
    assert date["checked_in_at"] == (START - timedelta(minutes=10)).isoformat()
    assert date["no_show_at"] is None
    assert client.get(reverse("api:booking-detail", args=[booking.pk])).json() == response.json()


def test_checking_in_twice_answers_the_same(client, booking, requester):
    with time_machine.travel(START, tick=False):
        first = _check_in(client, requester, booking)
        second = _check_in(client, requester, booking, {"occurrence_start": START.isoformat()})

    assert second.status_code == 200
    assert second.json() == first.json()


def test_outside_the_window_is_a_409(client, booking, requester):
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        early = _check_in(client, requester, booking, {"occurrence_start": START.isoformat()})
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        late = _check_in(client, requester, booking)

    assert early.status_code == late.status_code == 409
    assert "17:30" in early.json()["detail"]
    assert late.json()["status"] == "confirmed"


def test_another_structure_and_outsiders_get_404(client, booking, other_requester, outsider):
    with time_machine.travel(START, tick=False):
        for user in (other_requester, outsider):
            assert _check_in(client, user, booking).status_code == 404
            assert _undo(client, user, booking).status_code == 404


def test_a_manager_records_the_arrival_of_a_date(client, booking, facilities_manager):
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        missing = _check_in(client, facilities_manager, booking)
        response = _check_in(
            client, facilities_manager, booking, {"occurrence_start": START.isoformat()}
        )

    assert missing.status_code == 400
    assert response.status_code == 200
    [date] = response.json()["occurrences"]
    assert date["checked_in_at"] == (START + timedelta(minutes=5)).isoformat()


def test_a_manager_cancels_a_no_show_and_takes_the_time_back(
    client, booking, facilities_manager, django_assert_max_num_queries
):
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        bookings_release_no_shows()
        client.force_login(facilities_manager)
        # Its own (the locks, the clash and equipment reads, the UPDATE in a savepoint, the
        # summary, the history), then the detail as GET answers it (29 or 30: a cache of the
        # process may be warm already).
        with django_assert_max_num_queries(30):
            response = client.post(
                reverse("api:booking-no-show-undo", args=[booking.pk]),
                {"occurrence_start": START.isoformat()},
                content_type="application/json",
            )

    assert response.status_code == 200
    body = response.json()
    assert (body["released"], body["taken_back"]) == (True, True)
    [date] = body["booking"]["occurrences"]
    assert (date["end"], date["no_show_at"]) == (END.isoformat(), None)


def test_an_unknown_date_is_a_400(client, booking, requester):
    with time_machine.travel(START, tick=False):
        response = _check_in(
            client,
            requester,
            booking,
            {"occurrence_start": (START + timedelta(days=1)).isoformat()},
        )

    assert response.status_code == 400
    assert "occurrence_start" in response.json()


def test_the_detail_shows_a_no_show_and_the_released_end(client, booking, requester):
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        bookings_release_no_shows()
        client.force_login(requester)
        detail = client.get(reverse("api:booking-detail", args=[booking.pk])).json()

    [date] = detail["occurrences"]
    assert date["end"] == (START + timedelta(minutes=20)).isoformat()
    assert date["booked_end"] == END.isoformat()
    assert date["no_show_at"] == (START + timedelta(minutes=16)).isoformat()


def test_the_plain_representation_carries_the_check_in_state(booking, requester):
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        bookings_release_no_shows()
    read = booking_detail(user=requester).prefetch_related("occupancies", "log__actor")
    booking = read.get(pk=booking.pk)
    rows, log = list(booking.occupancies.all()), list(booking.log.all())

    plain = booking_represented(booking, rows, log)

    plain.update(answers=[], files=[], equipment=[])
    serialized = BookingOutputSerializer(booking).data
    assert plain["occurrences"] == serialized["occurrences"]
    assert plain["occurrences"][0]["booked_end"] == END.isoformat()


def test_the_check_in_reads_a_fixed_number_of_queries(
    client, booking, requester, django_assert_num_queries
):
    client.force_login(requester)
    url = reverse("api:booking-check-in", args=[booking.pk])

    # The check-in's own: the booking found, the membership, the space's setting, the date,
    # its UPDATE (in a transaction: SAVEPOINT-free, BEGIN/COMMIT on SQLite); then the
    # booking's detail as GET answers it. The same for a series of any length.
    with time_machine.travel(START, tick=False), django_assert_num_queries(20):
        client.post(url, {}, content_type="application/json")
