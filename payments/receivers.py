"""Payments follow their booking: bookings sends `booking_status_changed` after commit and
never imports payments (ARCHITECTURE.md)."""

import logging

from django.dispatch import receiver

from bookings.models import Booking, BookingStatus
from bookings.signals import booking_status_changed
from payments import selectors, services
from payments.exceptions import PaymentFailed
from payments.models import PaymentStatus

logger = logging.getLogger(__name__)

ENDED_BEFORE_USE = {BookingStatus.REFUSED, BookingStatus.LAPSED, BookingStatus.CANCELLED}


@receiver(booking_status_changed, dispatch_uid="payments_follow_booking")
def payment_follow_booking(
    sender: type, booking_id: int, from_status: str, to_status: str, **kwargs: object
) -> None:
    """Capture on approval, release on refusal, refund on cancellation after capture.

    Runs after the booking's transaction committed, so a Stripe failure here must not undo or
    break the booking: it is logged, and `reconcile_payments` or a manager finishes the job.
    """
    booking = Booking.objects.filter(pk=booking_id).select_related("space").first()
    payment = selectors.payment_live_of(booking=booking) if booking else None
    if payment is None:
        return
    try:
        if to_status == BookingStatus.CONFIRMED:
            services.payment_capture(payment=payment)
        elif to_status in ENDED_BEFORE_USE and payment.status != PaymentStatus.CAPTURED:
            services.payment_release(payment=payment, reason=to_status)
        elif to_status == BookingStatus.CANCELLED:
            services.payment_refund_for_cancellation(payment=payment)
    except PaymentFailed:
        logger.exception(
            "Payment %s did not follow booking %s to %s", payment.pk, booking_id, to_status
        )
