"""Deposits follow their booking, and tell the payer when the hold is placed or released.

Like `payments.receivers`, these run after the transaction that sent the signal committed:
a Stripe failure is logged and must not break the booking; `release_deposits` (periodic)
releases the hold later.
"""

import logging

from django.dispatch import receiver

from bookings.models import OCCUPYING, Booking, BookingStatus
from bookings.signals import booking_status_changed
from payments import notifications
from payments.exceptions import PaymentFailed
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import deposits
from payments.signals import payment_status_changed

logger = logging.getLogger(__name__)


@receiver(booking_status_changed, dispatch_uid="payments_deposit_follows_booking")
def deposit_follow_booking(
    sender: type, booking_id: int, from_status: str, to_status: str, **kwargs: object
) -> None:
    """A booking cancelled (or refused, lapsed) will not be used: release its deposit hold."""
    if to_status in OCCUPYING:
        return
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        return
    try:
        deposits.deposit_release_for_booking(
            booking=booking, reason=str(BookingStatus(to_status).label)
        )
    except PaymentFailed:
        logger.exception("The deposit of booking %s was not released", booking_id)


@receiver(payment_status_changed, dispatch_uid="payments_deposit_mails")
def deposit_mail(
    sender: type, payment_id: int, from_status: str, to_status: str, **kwargs: object
) -> None:
    """Mail the payer when the deposit is held on the card, and when that hold is released
    (by us, or by Stripe when it lapsed). Keeping it is mailed by `deposits.deposit_keep`,
    with the manager's reason."""
    payment = Payment.objects.filter(pk=payment_id, purpose=PaymentPurpose.DEPOSIT).first()
    if payment is None:
        return
    if to_status == PaymentStatus.AUTHORISED:
        notifications.on_commit(payment, "deposit_held")
    elif to_status == PaymentStatus.RELEASED and from_status == PaymentStatus.AUTHORISED:
        entry = payment.log.filter(to_status=PaymentStatus.RELEASED).last()
        notifications.on_commit(payment, "deposit_released", reason=entry.reason if entry else "")
