"""POST /api/v1/bookings/ in a fixed number of queries (issue 18): a single booking, and a
weekly series that costs a constant more whatever its number of dates; the 201 answer, built
from the rows the service wrote, is the booking's detail as GET returns it.

The counts are those of the test database inside the test's transaction: the request's
transaction is a savepoint here (SAVEPOINT and RELEASE counted instead of BEGIN and COMMIT),
and what runs after commit (the payments listener, the outbox's delivery) does not run.
The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.db import connection
from django.urls import reverse

from bookings.models import Booking, Frequency
from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory

BOOKINGS = reverse("api:booking-list")
# session, user, the view's space (with the territory check of its visibility) and
# organisation; then the request's transaction: the locked space with the permission checks,
# its opening hours, the clash check, the booking, its dates, its log,
# the routing of the messages, the notifications and the outbox rows (the requester's, the
# deciders'). The same on both databases: SQLite spends no savepoint on the dates (no
# exclusion constraint), PostgreSQL none either once the space is locked and checked.
SINGLE = {"sqlite": 17, "postgresql": 17}
# A series has its django-scheduler Event (a single slot has none): a constant more, whatever
# its number of dates.
SERIES_EXTRA = 3

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def requester(db):
    organisation = VerifiedStructureFactory(name="Les Amis du Vélo")
    return MembershipFactory(
        organisation=organisation, user=UserFactory(email="asso@example.test")
    ).user


def _body(space, requester, day: int, hour: int = 18, **extra) -> dict:
    return {
        "space": space.pk,
        "organisation": requester.memberships.get().organisation_id,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "start": f"2027-01-{day:02d}T{hour:02d}:00:00+01:00",
        "end": f"2027-01-{day:02d}T{hour + 2:02d}:00:00+01:00",
        **extra,
    }


@pytest.fixture
def warm_client(client, space, requester):
    """Signed in, after one request: per-process caches, and the space's calendar made by its
    first series, are not what these tests measure."""
    client.force_login(requester)
    body = _body(space, requester, 5, hour=10, frequency=Frequency.WEEKLY, repeat_count=2)
    assert client.post(BOOKINGS, body, "application/json").status_code == 201
    return client


def test_booking_create_api_single_booking_query_count(
    warm_client, space, requester, django_assert_num_queries
):
    with django_assert_num_queries(SINGLE[connection.vendor]):
        response = warm_client.post(BOOKINGS, _body(space, requester, 12), "application/json")

    assert response.status_code == 201


@pytest.mark.parametrize("dates", [3, 20])
def test_booking_create_api_series_query_count_does_not_grow_with_the_dates(
    warm_client, space, requester, dates, django_assert_num_queries
):
    body = _body(space, requester, 13, frequency=Frequency.WEEKLY, repeat_count=dates)

    with django_assert_num_queries(SINGLE[connection.vendor] + SERIES_EXTRA):
        response = warm_client.post(BOOKINGS, body, "application/json")

    assert len(response.json()["occurrences"]) == dates


def test_booking_create_api_answers_the_detail_as_get_returns_it(warm_client, space, requester):
    body = _body(space, requester, 13, frequency=Frequency.WEEKLY, repeat_count=3)

    created = warm_client.post(BOOKINGS, body, "application/json").json()

    booking = Booking.objects.get(pk=created["id"])
    assert created == warm_client.get(reverse("api:booking-detail", args=[booking.pk])).json()
