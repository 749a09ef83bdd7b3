"""The price follows a changed booking (issue 16): a lower price refunds the difference through
the cancellation's refund path (a higher one asks a supplement: test_change_supplement.py).
Against localstripe."""

from datetime import timedelta

from bookings.rules import Period
from bookings.services import BookingChange, booking_reschedule
from tests.payments.conftest import HOURLY_CENTS


def test_a_shorter_booking_refunds_the_difference(
    captured_booking, facilities_manager, django_capture_on_commit_callbacks
):
    booking, payment = captured_booking

    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(
            booking=booking,
            change=BookingChange(period=Period(booking.start, booking.start + timedelta(hours=1))),
            actor=facilities_manager,
        )

    payment.refresh_from_db()
    assert (payment.captured_cents, payment.refunded_cents) == (2 * HOURLY_CENTS, HOURLY_CENTS)
