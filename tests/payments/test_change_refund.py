"""The price follows a changed booking (issue 16): a lower price refunds the difference through
the cancellation's refund path (a higher one asks a supplement: test_change_supplement.py).
Against localstripe."""

from datetime import timedelta

import pytest

from bookings.rules import Period
from bookings.services import BookingChange, booking_approve, booking_reschedule
from payments.models import PaymentStatus
from payments.services.cards import payment_start
from tests.factories import booking_request_for
from tests.payments.conftest import HOURLY_CENTS, slot


@pytest.fixture
def paid(
    stripe_api,
    priced_space,
    requester,
    collector,
    facilities_manager,
    django_capture_on_commit_callbacks,
):
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    return booking, payment


def test_a_shorter_booking_refunds_the_difference(
    paid, facilities_manager, django_capture_on_commit_callbacks
):
    booking, payment = paid

    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(
            booking=booking,
            change=BookingChange(period=Period(booking.start, booking.start + timedelta(hours=1))),
            actor=facilities_manager,
        )

    payment.refresh_from_db()
    assert (payment.captured_cents, payment.refunded_cents) == (2 * HOURLY_CENTS, HOURLY_CENTS)
