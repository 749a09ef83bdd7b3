"""The transactional outbox of the outgoing webhooks: a status change's deliveries are written in
the change's own transaction (`core.signals.status_changed_in_transaction`), only their sending
waits for the commit; a change rolled back takes its event with it; a recording that fails
leaves the change committed, without its event, and is logged.

transaction=True: the transactions here really commit or roll back (no test transaction around
them), and the sending job runs in-process (eager Celery) on the real commit, to the real
receiving HTTP server of conftest.py.
"""

import logging
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.urls import reverse

from bookings.models import Booking, BookingLog, BookingStatus
from bookings.services import booking_approve, booking_cancel
from integrations.models import DeliveryStatus, EventType, WebhookDelivery
from tests.integrations.conftest import endpoint_for, request_booking

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen_clock")]

REFUSED = "deliveries refused by a test trigger"


def test_the_delivery_is_written_in_the_change_s_transaction_and_sent_after_its_commit(
    receiver, booker, space
):
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])

    with transaction.atomic():
        booking = request_booking(space, booker)
        # Before the commit: the delivery is already a row of this transaction, not yet sent.
        delivery = WebhookDelivery.objects.get()
        assert (delivery.event_type, delivery.payload["data"]["id"]) == (
            "booking.requested",
            booking.pk,
        )
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
        assert receiver.received == []

    [received] = receiver.received
    assert received.payload["id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_a_change_rolled_back_takes_its_event_with_it(receiver, booker, space):
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])

    recorded = []

    def change_then_fail() -> None:
        with transaction.atomic():
            request_booking(space, booker)
            recorded.append(WebhookDelivery.objects.count())
            raise RuntimeError("the caller fails after the change")

    with pytest.raises(RuntimeError, match="after the change"):
        change_then_fail()

    assert recorded == [1]  # it was there, in the transaction
    assert not Booking.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []  # nothing was sent for a change that never happened


@pytest.fixture
def deliveries_refused() -> Iterator[None]:
    """A trigger of the database that refuses every new delivery: a real failure of the
    recording's INSERT (on PostgreSQL it would abort the whole transaction without the
    listener's savepoint), our code untouched. Dropped afterwards (DDL outside a test
    transaction is kept)."""
    table = WebhookDelivery._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_delivery() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{REFUSED}'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_refuse_delivery BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_delivery()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_refuse_delivery BEFORE INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS test_refuse_delivery ON {table}")
                cursor.execute("DROP FUNCTION IF EXISTS test_refuse_delivery()")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS test_refuse_delivery")


def _not_recorded(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "integrations.receivers"
        and record.levelno == logging.ERROR
        and record.exc_info
        and REFUSED in str(record.exc_info[1])
    ]


def test_a_recording_that_fails_leaves_the_booking_request_committed_and_is_logged(
    receiver, booker, space, client, deliveries_refused, caplog
):
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    client.force_login(booker)

    answer = client.post(
        reverse("api:booking-list"),
        {
            "space": space.pk,
            "organisation": booker.memberships.get().organisation_id,
            "purpose": "Atelier de réparation",
            "attendees": 12,
            "start": "2027-01-12T18:00:00+01:00",
            "end": "2027-01-12T20:00:00+01:00",
        },
        content_type="application/json",
    )

    assert answer.status_code == 201, answer.content
    booking = Booking.objects.get()  # committed: no test transaction holds it
    assert booking.status == BookingStatus.PENDING
    assert BookingLog.objects.filter(booking=booking, to_status=BookingStatus.PENDING).exists()
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []
    assert len(_not_recorded(caplog)) == 1


def test_a_decision_whose_recording_fails_is_committed_and_later_events_are_recorded_again(
    receiver, booker, commune_staff, space, deliveries_refused, caplog
):
    """The decision path (bookings.services.decisions) in the service's own transaction; once
    the database accepts deliveries again, the next event is recorded and sent."""
    endpoint_for(booker, receiver.url, [EventType.BOOKING_CONFIRMED, EventType.BOOKING_CANCELLED])
    booking = request_booking(space, booker)

    booking_approve(booking=booking, actor=commune_staff)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert not WebhookDelivery.objects.exists()
    assert len(_not_recorded(caplog)) == 1

    with connection.cursor() as cursor:  # the database accepts deliveries again
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER test_refuse_delivery ON {WebhookDelivery._meta.db_table}")
        else:
            cursor.execute("DROP TRIGGER test_refuse_delivery")
    booking_cancel(booking=booking, actor=commune_staff, reason="Salle indisponible")

    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.event_type, delivery.status) == ("booking.cancelled", "delivered")
    assert [r.payload["type"] for r in receiver.received] == ["booking.cancelled"]
