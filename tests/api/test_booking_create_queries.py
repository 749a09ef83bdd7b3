"""POST /api/v1/bookings/ in a fixed number of queries (issue 18): a single booking, and a
weekly series that costs a constant more whatever its number of dates; the 201 answer, built
from the rows the service wrote, is the booking's detail as GET returns it.

The counts are those of the test database inside the test's transaction: the request's
transaction is a savepoint here (SAVEPOINT and RELEASE counted instead of BEGIN and COMMIT,
which Django logs too in production), and what runs after commit runs only where a test says
so (the payments listener of a confirmed booking; the outbox's delivery is a Celery job).
The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Notification
from bookings.models import Booking, BookingStatus, Frequency, QuestionKind, RequestQuestion
from core.models import OutboxMail
from payments.receivers import payment_follow_booking
from spaces.models import SiteManager, Space
from tests.factories import UserFactory

BOOKINGS = reverse("api:booking-list")
# session, user; then the request's transaction (SAVEPOINT): the locked space with its site,
# its opening hours (a LEFT JOIN) and the requesting organisation if the user may book for it,
# the clash check, the booking, its dates, its log, the routing of the messages, the
# notifications and the outbox rows (the requester's and the deciders' in one INSERT each),
# RELEASE. The same on both databases: SQLite spends no savepoint on the dates (no exclusion
# constraint), PostgreSQL none either once the space is locked and checked. The booked time
# added to the monthly summary the observatory reads (issue 15, bookings.OccupancyMonth: one
# INSERT … ON CONFLICT for the dates' months). A space that asks no question (issue 16) costs
# no query for them: the locked space says so; one that asks some, one more query.
SINGLE = {"sqlite": 13, "postgresql": 13}
QUESTIONS = 1
ANSWERS = 1  # the answers given, one INSERT
# A series has its django-scheduler Event (a single slot has none): the calendar, the rule, the
# Event and its end (a count of dates): a constant more, whatever its number of dates.
SERIES_EXTRA = 4

# A confirmed booking's payments listener, after commit: the booking with "is a fee payment
# live" and "has the space a price" (no: nothing is due, it stops there).
PAYMENTS_LISTENER_FREE = 1

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def decider(site):
    """A facilities manager of the site: a request is also told to them."""
    manager = UserFactory(email="regie@example.test")
    SiteManager.objects.create(site=site, user=manager)
    return manager


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
    warm_client, space, requester, decider, django_assert_num_queries
):
    body = _body(space, requester, 12)

    with django_assert_num_queries(SINGLE[connection.vendor]):
        response = warm_client.post(BOOKINGS, body, "application/json")

    assert response.status_code == 201
    # The guarantees the count keeps: the log row, both sides' notifications and e-mails.
    booking = Booking.objects.get(pk=response.json()["id"])
    assert booking.status == BookingStatus.PENDING
    assert booking.log.count() == 1
    assert Notification.objects.filter(user=decider, topic="booking_to_decide").exists()
    about = set(OutboxMail.objects.values_list("about", flat=True))
    assert {f"booking {booking.pk}, requested", f"booking {booking.pk}, to_decide"} <= about


def test_booking_create_api_instant_confirmation_query_count(
    warm_client, space, requester, decider, django_assert_num_queries
):
    """Confirmed at once, in a space with no price: the same count; after commit, the payments
    listener reads the booking once and stops (called here as the signal calls it: the outbox's
    delivery also runs after commit in tests, where Celery is eager)."""
    Space.objects.filter(pk=space.pk).update(instant_confirmation=True)
    body = _body(space, requester, 12)

    with django_assert_num_queries(SINGLE[connection.vendor]):
        response = warm_client.post(BOOKINGS, body, "application/json")

    assert response.json()["status"] == BookingStatus.CONFIRMED
    with django_assert_num_queries(PAYMENTS_LISTENER_FREE):
        payment_follow_booking(
            sender=Booking,
            booking_id=response.json()["id"],
            from_status="",
            to_status=BookingStatus.CONFIRMED,
        )


def test_booking_create_api_reads_the_questions_of_a_space_that_asks_some(
    warm_client, space, requester, django_assert_num_queries
):
    """The flag read with the locked space is what spares the query: a space with a question
    pays for reading it, and an unanswered required question is still refused."""
    question = RequestQuestion.objects.create(
        space=space, position=1, text="Combien de tables ?", kind=QuestionKind.NUMBER
    )
    body = _body(space, requester, 14, answers=[{"question": question.pk, "value": "4"}])

    with django_assert_num_queries(SINGLE[connection.vendor] + QUESTIONS + ANSWERS):
        response = warm_client.post(BOOKINGS, body, "application/json")

    assert response.status_code == 201, response.json()
    assert Booking.objects.get(pk=response.json()["id"]).answers.get().value == "4"
    RequestQuestion.objects.filter(pk=question.pk).update(required=True)
    refused = warm_client.post(BOOKINGS, _body(space, requester, 15), "application/json")
    assert refused.status_code == 400
    assert f"question_{question.pk}" in refused.json()


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


# With a worker (BOOKING_MESSAGES_AFTER_COMMIT, production): the routing and the two INSERTs of
# messages leave the request for one INSERT of the event (bookings/models/messages.py); the
# worker writes the same messages after the commit (tests/bookings/test_booking_messages.py).
# With the monthly summary (issue 15).
SINGLE_WITH_WORKER = {"sqlite": 11, "postgresql": 11}


def test_booking_create_api_with_a_worker_query_count(
    warm_client,
    space,
    requester,
    decider,
    settings,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    settings.BOOKING_MESSAGES_AFTER_COMMIT = True
    body = _body(space, requester, 12)

    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        with django_assert_num_queries(SINGLE_WITH_WORKER[connection.vendor]):
            response = warm_client.post(BOOKINGS, body, "application/json")
        assert not Notification.objects.filter(user=decider).exists()

    assert response.status_code == 201
    assert after_commit, "the job was not sent after the commit"
    booking = Booking.objects.get(pk=response.json()["id"])
    assert Notification.objects.filter(user=decider, topic="booking_to_decide").exists()
    about = set(OutboxMail.objects.values_list("about", flat=True))
    assert {f"booking {booking.pk}, requested", f"booking {booking.pk}, to_decide"} <= about
