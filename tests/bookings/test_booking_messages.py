"""A request's messages written by a worker after the commit (bookings/models/messages.py,
issue 18): the request writes one row in its transaction, the job writes the notifications and
e-mails once, the sweep writes those whose job was lost, and the messages are the same as when
the request writes them itself (BOOKING_MESSAGES_AFTER_COMMIT off: eager jobs, the demo).

The tests run with the setting on; jobs are eager in tests, so "the job" is what runs when the
transaction's on-commit callbacks run (`django_capture_on_commit_callbacks(execute=True)`); a
test's own transaction never commits, which stands for a job lost with the broker.
The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from bookings.exceptions import BookingConflict
from bookings.models import BookingMessage, BookingMessageStatus
from bookings.notifications import (
    LOST_WORKER,
    booking_messages_sweep,
    booking_messages_write,
    notify,
)
from core.models import OutboxMail
from tests.factories import booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def after_commit(settings):
    settings.BOOKING_MESSAGES_AFTER_COMMIT = True


def _request(space, booker, day: int = 12):
    return booking_request_for(
        space=space,
        requested_by=booker,
        start=paris(2027, 1, day, 18),
        end=paris(2027, 1, day, 20),
    )


def _messages() -> list[list[tuple]]:
    """Every notification and e-mail written, whole."""
    notifications = sorted(
        Notification.objects.values_list("user__email", "topic", "subject", "body", "link")
    )
    mails = sorted(
        OutboxMail.objects.values_list("about", "subject", "body", "html_body").order_by()
    )
    return [notifications, [tuple(mail) for mail in mails]]


def test_the_request_writes_one_row_and_no_message(after_commit, space, booker, facilities_manager):
    booking = _request(space, booker)

    row = BookingMessage.objects.get()
    assert (row.booking, row.event, row.status, row.requester_is_member) == (
        booking,
        "requested",
        BookingMessageStatus.PENDING,
        True,
    )
    assert not Notification.objects.exists()
    assert not OutboxMail.objects.exists()


def test_the_job_after_commit_writes_the_same_messages_as_the_request_would(
    after_commit, space, booker, facilities_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = _request(space, booker)
    written_by_the_job = _messages()
    Notification.objects.all().delete()
    OutboxMail.objects.all().delete()

    # What the request writes itself when there is no worker (the setting off).
    notify(booking, "requested", requester_is_member=True)

    assert written_by_the_job == _messages()
    assert {email for email, *_rest in written_by_the_job[0]} == {
        booker.email,
        facilities_manager.email,
    }
    assert BookingMessage.objects.get().status == BookingMessageStatus.WRITTEN


def test_without_a_worker_the_request_writes_its_messages_itself(
    settings, space, booker, facilities_manager
):
    settings.BOOKING_MESSAGES_AFTER_COMMIT = False

    _request(space, booker)

    assert not BookingMessage.objects.exists()
    assert Notification.objects.count() == 2


def test_a_row_is_written_once_however_often_its_job_runs(
    after_commit, space, booker, facilities_manager
):
    _request(space, booker)
    row = BookingMessage.objects.get()

    assert booking_messages_write(ids=[row.pk]) == 1
    assert booking_messages_write(ids=[row.pk]) == 0
    assert booking_messages_sweep() == 0

    assert Notification.objects.count() == 2  # the requester, the facilities manager
    assert OutboxMail.objects.count() == 2
    row.refresh_from_db()
    assert row.status == BookingMessageStatus.WRITTEN
    assert row.written_at == timezone.now()


def test_the_sweep_writes_the_rows_whose_job_was_lost(
    after_commit, space, booker, facilities_manager
):
    _request(space, booker, day=12)
    _request(space, booker, day=19)

    assert booking_messages_sweep() == 2

    assert Notification.objects.filter(user=facilities_manager).count() == 2
    assert not BookingMessage.objects.exclude(status=BookingMessageStatus.WRITTEN).exists()


def test_a_refused_request_leaves_no_row(after_commit, space, booker):
    _request(space, booker)

    with pytest.raises(BookingConflict):
        _request(space, booker)

    assert BookingMessage.objects.count() == 1


def test_a_claim_of_a_worker_that_died_is_taken_again_then_failed_after_the_last_attempt(
    after_commit, space, booker, facilities_manager, settings
):
    _request(space, booker)
    row = BookingMessage.objects.get()
    claimed_long_ago = timezone.now() - timedelta(seconds=settings.MAIL_CLAIM_TIMEOUT + 1)

    # A worker died while writing: its claim goes stale and the sweep writes the row.
    BookingMessage.objects.filter(pk=row.pk).update(
        status=BookingMessageStatus.SENDING, claimed_at=claimed_long_ago, attempts=1
    )
    assert booking_messages_sweep() == 1
    assert Notification.objects.count() == 2

    # A row whose every attempt killed its worker fails instead of being tried forever.
    BookingMessage.objects.filter(pk=row.pk).update(
        status=BookingMessageStatus.SENDING, claimed_at=claimed_long_ago, attempts=5
    )
    assert booking_messages_sweep() == 0
    row.refresh_from_db()
    assert (row.status, row.last_error) == (BookingMessageStatus.FAILED, LOST_WORKER)
    assert Notification.objects.count() == 2
