"""Refunds of captured card payments: those a manager decides, those the cancellation policy
gives back, and the one path both take to Stripe (`refund_issue`).

The Refund row is saved under the payment's lock before Stripe is called, so its id gives the
idempotency key and two refunds at once never exceed what was collected.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform, logged_actor
from accounts.conflicts import decision_check_impartial
from accounts.models import User
from bookings.models import Booking
from payments import selectors, stripe_gateway
from payments.exceptions import PaymentFailed
from payments.models import (
    Payment,
    PaymentChannel,
    PaymentLog,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.rules import format_eur, refund_cents
from payments.services import documents
from payments.services.status import payment_refunded_to


def _refunded_or_pending(payment: Payment) -> int:
    return (
        payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount_cents"))[
            "total"
        ]
        or 0
    )


def payment_refund(
    *, payment: Payment, actor: User, amount_cents: int | None = None, reason: str
) -> Refund | None:
    """A refund someone decides (a manager's page, the API): `refund_issue`, once the actor is known
    to manage the payment (PermissionDenied) and not to belong to the payer (ConflictOfInterest,
    403). Refunds that follow a rule (the cancellation policy) call `refund_issue` directly."""
    if (
        is_platform(actor)
        or not selectors.payments_manageable_by(actor).filter(pk=payment.pk).exists()
    ):
        raise PermissionDenied
    decision_check_impartial(actor=actor, organisation=payment.payer)
    return refund_issue(payment=payment, actor=actor, amount_cents=amount_cents, reason=reason)


def refund_issue(
    *, payment: Payment, actor: Actor, amount_cents: int | None = None, reason: str
) -> Refund | None:
    """Refund part or all of what is left of a captured payment (all of it by default).

    The Refund row is saved under the payment's lock before Stripe is called, so what is
    refunded never exceeds what was collected, even when two managers refund at the same
    moment: the second finds nothing left and gets None. Raises ValidationError (no reason,
    amount out of range), PaymentFailed (Stripe refused: the refund is marked failed and the
    amount may be refunded again).
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason of the refund.")})
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.CAPTURED:
            return None
        left = locked.captured_cents - _refunded_or_pending(locked)
        if left <= 0:
            return None
        amount = left if amount_cents is None else amount_cents
        if not 0 < amount <= left:
            raise ValidationError(
                {
                    "amount": _("The refund must be more than 0 and at most %(left)s.")
                    % {"left": format_eur(left)}
                }
            )
        refund = Refund.objects.create(
            payment=locked, amount_cents=amount, reason=reason.strip(), actor=logged_actor(actor)
        )
    refund_send(refund=refund, actor=actor)
    payment.refresh_from_db()
    return refund


def refund_send(*, refund: Refund, actor: Actor) -> Refund:
    """Ask Stripe for a Refund row saved (pending) under its payment's lock, then record it:
    the payment's refunded total and its credit note. Raises PaymentFailed (the refund is
    marked failed and the amount may be refunded again). Call it outside any transaction."""
    payment = Payment.objects.get(pk=refund.payment_id)
    channel = PaymentChannel.objects.get(owner=payment.owner)
    try:
        stripe_id = stripe_gateway.refund_create(
            api_key=channel.stripe_secret_key,
            payment_id=payment.pk,
            refund_id=refund.pk,
            intent_id=payment.stripe_intent_id,
            amount_cents=refund.amount_cents,
        )
    except PaymentFailed:
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
        raise
    with transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.SUCCEEDED, stripe_refund_id=stripe_id
        )
        total = (
            payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(
                total=Sum("amount_cents")
            )["total"]
            or 0
        )
        payment_refunded_to(
            payment=payment, refunded_cents=total, actor=actor, reason=refund.reason
        )
        # In this transaction, so a succeeded refund has its credit note; never raises.
        documents.credit_note_issue_or_log(refund=refund)
    refund.refresh_from_db()
    return refund


def booking_refund_for_cancellation(
    *,
    booking: Booking,
    actor: Actor,
    as_manager: bool,
    occurrences: list[tuple[datetime, datetime]] | None = None,
    unpaid_cut_cents: int = 0,
    now: datetime | None = None,
) -> Refund | None:
    """Refund what the space's cancellation policy gives back when a booking, or some of its
    dates (`occurrences`), is cancelled, from what was collected for it: the fee and the
    supplements paid after a change (issue 16), the last supplement first. Nothing collected
    yet: nothing to do (the hold is released, or captured for the remaining dates only).
    `unpaid_cut_cents`: what the cancelled dates took off an unpaid supplement
    (`supplements.supplement_reduce`), never paid, so not refunded. Returns the last refund."""
    now = now or timezone.now()
    charges = selectors.booking_charges_captured(booking)
    if not charges:
        return None
    if occurrences is None:
        amount, first_start = sum(payment.captured_cents for payment in charges), booking.start
    else:
        price = selectors.price_quote(
            space=booking.space, organisation=booking.organisation, occurrences=occurrences
        )
        amount = max((price.amount_cents if price is not None else 0) - unpaid_cut_cents, 0)
        first_start = min(start for start, _end in occurrences)
    hours = (first_start - now).total_seconds() / 3600
    amount, rule = refund_cents(
        amount_cents=amount,
        hours_before_start=hours,
        notice_hours=booking.space.cancellation_notice_hours,
        by_manager=as_manager,
    )
    amount = min(amount, sum(payment.refundable_cents for payment in charges))
    if amount <= 0:
        with transaction.atomic():
            PaymentLog.objects.create(
                payment=charges[-1],  # the fee
                from_status=charges[-1].status,
                to_status=charges[-1].status,
                actor=logged_actor(actor),
                reason=rule,
            )
        return None
    last = None
    for payment in charges:  # newest first: the supplements, then the fee
        left = payment.captured_cents - _refunded_or_pending(payment)
        if amount <= 0 or left <= 0:
            continue
        refund = refund_issue(
            payment=payment, actor=actor, amount_cents=min(left, amount), reason=rule
        )
        if refund is not None:
            amount -= refund.amount_cents
            last = refund
    return last
