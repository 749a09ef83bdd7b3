"""Payments follow their booking: bookings sends its signals after commit and never imports
payments (ARCHITECTURE.md). One receiver per booking event: the fee and the deposit follow a
status change in `payment_follow_booking`, refunds follow `booking_cancelled`.

These run after the booking's transaction committed, so a Stripe failure here must not undo
or break the booking: it is logged, and `reconcile_payments` or a manager finishes the job.
"""

import logging

from django.db.models import Exists, OuterRef, QuerySet
from django.dispatch import receiver

from accounts.actors import PLATFORM
from accounts.models import User
from bookings.models import OCCUPYING, Booking, BookingStatus
from bookings.signals import booking_cancelled, booking_changed, booking_status_changed
from core.compiled import CompiledQuery
from payments import selectors
from payments.exceptions import PaymentFailed
from payments.models import ENDED, Payment, PaymentPurpose, PaymentStatus, Tariff
from payments.services import cards, deposits, refunds, supplements

logger = logging.getLogger(__name__)

ENDED_BEFORE_USE = {BookingStatus.REFUSED, BookingStatus.LAPSED, BookingStatus.CANCELLED}


def _booking_followed(booking: int) -> QuerySet[Booking]:
    """The booking with its site, whether a fee is live (`selectors.payment_live_of`'s rule)
    and whether its space is priced for anyone."""
    return (
        Booking.objects.filter(pk=booking)
        .select_related("space__site")
        .annotate(
            fee_live=Exists(
                Payment.objects.filter(
                    booking=OuterRef("pk"), purpose=PaymentPurpose.BOOKING_FEE
                ).exclude(status__in=ENDED)
            ),
            space_priced=Exists(Tariff.objects.filter(space=OuterRef("space"), amount_cents__gt=0)),
        )
    )


# Compiled once per process, and prepared (found by primary key): every approved or instantly
# confirmed booking reads it after commit (docs/decisions.md, issue 18).
_BOOKING_FOLLOWED = CompiledQuery(_booking_followed, prepare=True, booking=int)


@receiver(booking_status_changed, dispatch_uid="payments_follow_booking")
def payment_follow_booking(
    sender: type, booking_id: int, from_status: str, to_status: str, **kwargs: object
) -> None:
    """Capture on approval (or send a pay link), release what was held when the booking ends
    before being used, and release its deposit hold once it will not be used (cancelled,
    refused, lapsed; `release_deposits` also releases it later if Stripe fails now). Refunds of
    cancelled bookings follow `booking_cancelled`."""
    if to_status in OCCUPYING and to_status != BookingStatus.CONFIRMED:
        return  # a new or still pending request: nothing to capture, release or refund yet
    found = _BOOKING_FOLLOWED.run(booking=booking_id)
    booking = found[0] if found else None
    if booking is None:
        return
    if to_status == BookingStatus.CONFIRMED and not booking.fee_live and not booking.space_priced:
        # Nothing to capture, and no price for anyone (no tariff, or only free ones): the fee's
        # collection would end there (no quote, so no invoice line and no pay link). One query.
        return
    try:
        if to_status == BookingStatus.CONFIRMED:
            cards.booking_fee_collect(booking=booking)
            if booking.fee_live:
                # A booking changed while pending (or approved again after a change): the fee
                # captured now is the one first held; what the change added is asked now.
                supplements.booking_supplement_settle(booking=booking)
        else:
            payment = selectors.payment_live_of(booking=booking)
            if (
                to_status in ENDED_BEFORE_USE
                and payment is not None
                and payment.status != PaymentStatus.CAPTURED
            ):
                cards.payment_release(payment=payment, actor=PLATFORM, reason=to_status)
            if to_status in ENDED_BEFORE_USE and booking.fee_live:
                supplements.supplements_release(booking=booking, reason=to_status)
    except PaymentFailed:
        logger.exception("The payment of booking %s did not follow it to %s", booking_id, to_status)
    if to_status in OCCUPYING:
        return
    try:
        deposits.deposit_release_for_booking(
            booking=booking, reason=str(BookingStatus(to_status).label)
        )
    except PaymentFailed:
        logger.exception("The deposit of booking %s was not released", booking_id)


@receiver(booking_cancelled, dispatch_uid="payments_refund_cancellation")
def payment_refund_cancellation(
    sender: type,
    booking_id: int,
    occurrences: list,
    whole: bool,
    actor_id: int | None,
    as_manager: bool,
    **kwargs: object,
) -> None:
    """Refund, under the space's cancellation policy, what was paid for the dates cancelled."""
    booking = Booking.objects.filter(pk=booking_id).select_related("space", "organisation").first()
    if booking is None:
        return
    # The refund follows the cancellation: logged under who cancelled (the platform if it did).
    actor = (User.objects.filter(pk=actor_id).first() if actor_id else None) or PLATFORM
    try:
        cut = 0
        if not whole:
            # An unpaid supplement is cancelled first (issue 16): the policy applies to the rest.
            price = selectors.price_quote(
                space=booking.space, organisation=booking.organisation, occurrences=occurrences
            )
            cut = supplements.supplement_reduce(
                booking=booking, by_cents=price.amount_cents if price else 0, actor=actor
            )
        refunds.booking_refund_for_cancellation(
            booking=booking,
            actor=actor,
            # bookings.permissions decided the terms: the platform cancels on a manager's.
            as_manager=as_manager,
            occurrences=None if whole else occurrences,
            unpaid_cut_cents=cut,
        )
    except PaymentFailed:
        logger.exception("The refund of booking %s's cancelled dates failed", booking_id)


@receiver(booking_changed, dispatch_uid="payments_follow_change")
def payment_follow_change(
    sender: type,
    booking_id: int,
    moved: bool,
    actor_id: int,
    before: tuple | None = None,
    after: tuple | None = None,
    **kwargs: object,
) -> None:
    """A booking moved to another time or room (issue 16): its fee follows through its channel
    (`supplements.booking_price_follow`): a supplement to pay by card, or a supplement line
    for the public accountant, when the price rose; a refund when it fell."""
    if not moved:
        return  # attendees or purpose alone: the price does not change
    booking = Booking.objects.filter(pk=booking_id).select_related("space", "organisation").first()
    if booking is None:
        return
    actor = User.objects.filter(pk=actor_id).first() or PLATFORM
    try:
        supplements.booking_price_follow(
            booking=booking,
            actor=actor,
            before=tuple(before) if before else None,
            after=tuple(after) if after else None,
            series=bool(kwargs.get("series")),
        )
    except PaymentFailed:
        logger.exception("The price difference of booking %s's change was not settled", booking_id)
