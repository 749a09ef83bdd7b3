"""Every status change of a payment goes through `payment_transition`: it locks the row, is
idempotent, logs, mails the payer (through the outbox, in its transaction) and, once
committed, runs what follows inside payments (`payment_followups`: invoices).

`payment_sync` brings a payment to the state Stripe reports for its PaymentIntent.
"""

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, logged_actor
from core.signals import status_changed_in_transaction
from core.workflow import status_change
from payments import notifications, signals
from payments.models import (
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentLog,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.services import documents
from payments.stripe_gateway import IntentState

# A refund is told by `payment_refunded_to`, with the amount of that refund.
MAILED = {PaymentStatus.CAPTURED: "captured"}
# Keeping a deposit is not a "payment received": deposits.deposit_keep mails it with the reason.
NOT_MAILED = {(PaymentPurpose.DEPOSIT, PaymentStatus.CAPTURED)}


def payment_transition(
    *,
    payment: Payment,
    to: str,
    actor: Actor = PLATFORM,
    reason: str = "",
    stripe_event_id: str = "",
    **fields: object,
) -> bool:
    """Change the status; idempotent (already there, or a state it cannot go back to → False).
    Checks no permission: the services that call it did (a Stripe event is the platform's).

    Must run inside transaction.atomic(): the row is re-read under a lock. Transitions outside
    PAYMENT_TRANSITIONS are ignored rather than refused, since they come from late or repeated
    Stripe events reading an older state.
    """
    from_status = status_change(
        payment, to=to, transitions=PAYMENT_TRANSITIONS, error=None, **fields
    )
    if from_status is None:
        return False
    PaymentLog.objects.create(
        payment=payment,
        from_status=from_status,
        to_status=to,
        actor=logged_actor(actor),
        reason=reason,
        stripe_event_id=stripe_event_id,
    )
    if to in MAILED and (payment.purpose, to) not in NOT_MAILED:
        notifications.notify(payment, MAILED[to])
    # A deposit held on the card, or that hold released (by us, or by Stripe when it lapsed):
    # the payer is told, in this transaction (keeping it is mailed by `deposits.deposit_keep`,
    # with the manager's reason).
    if payment.purpose == PaymentPurpose.DEPOSIT:
        if to == PaymentStatus.AUTHORISED:
            notifications.notify(payment, "deposit_held")
        elif to == PaymentStatus.RELEASED and from_status == PaymentStatus.AUTHORISED:
            notifications.notify(payment, "deposit_released", reason=reason)
    # robust: the change is committed; a follow-up failing now is logged, never a lying 500.
    transaction.on_commit(
        lambda: payment_followups(payment_id=payment.pk, from_status=from_status, to_status=to),
        robust=True,
    )
    status_changed_in_transaction.send(
        sender=Payment, pk=payment.pk, from_status=from_status, to_status=to
    )
    transaction.on_commit(
        lambda: signals.payment_status_changed.send(
            sender=Payment, payment_id=payment.pk, from_status=from_status, to_status=to
        ),
        robust=True,
    )
    return True


def payment_followups(*, payment_id: int, from_status: str, to_status: str) -> None:
    """What follows a committed status change, called directly (payments does not signal to
    itself).

    A payment just collected gets its invoice, once even if this runs twice; a failure is
    logged and `issue_missing_invoices` issues it later, since the payment stands either way.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return
    if to_status == PaymentStatus.CAPTURED:
        documents.invoice_issue_or_log(payment=payment)


def _target_of(state: IntentState) -> str:
    if state.status == "succeeded":
        return PaymentStatus.CAPTURED
    if state.status == "requires_capture":
        return PaymentStatus.AUTHORISED
    if state.status == "canceled":
        return PaymentStatus.RELEASED
    if state.status == "requires_payment_method" and state.error_message:
        return PaymentStatus.FAILED
    return PaymentStatus.REQUIRES_AUTHORISATION


def payment_sync(
    payment: Payment,
    state: IntentState,
    *,
    stripe_event_id: str = "",
    actor: Actor = PLATFORM,
    reason: str = "",
    captured_cents: int | None = None,
) -> bool:
    """Bring the payment to the state Stripe reports. Must run inside transaction.atomic().

    Refunds made outside the platform (Stripe's dashboard) are taken in: what Stripe reports
    refunded, never less than our own refunds, marks the payment refunded once it reaches what
    was collected. A deposit's released remainder is not a refund, so deposits skip that part.
    """
    target = _target_of(state)
    extra: dict[str, object] = {}
    if target == PaymentStatus.FAILED:
        extra["failure_message"] = _("The card was declined.")
    if target == PaymentStatus.CAPTURED:
        received = captured_cents or state.amount_received or state.amount
        extra["captured_cents"] = min(received, payment.amount_cents)
    changed = payment_transition(
        payment=payment,
        to=target,
        actor=actor,
        reason=reason,
        stripe_event_id=stripe_event_id,
        **extra,
    )
    if target != PaymentStatus.CAPTURED or payment.purpose == PaymentPurpose.DEPOSIT:
        return changed
    payment.refresh_from_db()
    refunded = min(max(state.amount_refunded, payment.refunded_cents), payment.captured_cents)
    if refunded > payment.refunded_cents:
        _record_refund_made_at_stripe(payment, refunded_total=refunded)
        return payment_refunded_to(
            payment=payment, refunded_cents=refunded, stripe_event_id=stripe_event_id
        )
    return changed


def _record_refund_made_at_stripe(payment: Payment, *, refunded_total: int) -> None:
    """A refund made in Stripe's dashboard has no Refund row of ours: record what Stripe
    refunded beyond our own refunds (those in progress included, so a refund of ours whose
    webhook comes early is not counted twice), with its credit note."""
    ours = (
        payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount_cents"))[
            "total"
        ]
        or 0
    )
    if refunded_total > ours:
        refund = Refund.objects.create(
            payment=payment,
            amount_cents=refunded_total - ours,
            status=RefundStatus.SUCCEEDED,
            reason=_("Refunded outside the platform (Stripe dashboard)."),
        )
        documents.credit_note_issue_or_log(refund=refund)


def payment_refunded_to(
    *,
    payment: Payment,
    refunded_cents: int,
    actor: Actor = PLATFORM,
    reason: str = "",
    stripe_event_id: str = "",
) -> bool:
    """Record that `refunded_cents` of the payment are now refunded in all; the payment is
    "refunded" once that reaches what was collected. Must run inside transaction.atomic()."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if refunded_cents <= locked.refunded_cents:
        return False
    if refunded_cents < locked.captured_cents:
        Payment.objects.filter(pk=payment.pk).update(refunded_cents=refunded_cents)
        payment.refunded_cents = refunded_cents
        PaymentLog.objects.create(
            payment=payment,
            from_status=locked.status,
            to_status=locked.status,
            actor=logged_actor(actor),
            reason=reason or _("Partly refunded."),
            stripe_event_id=stripe_event_id,
        )
        notifications.notify(
            payment,
            "refunded",
            refund_cents=refunded_cents - locked.refunded_cents,
            reason=reason.strip(),
        )
        return True
    changed = payment_transition(
        payment=payment,
        to=PaymentStatus.REFUNDED,
        actor=actor,
        reason=reason,
        stripe_event_id=stripe_event_id,
        refunded_cents=locked.captured_cents,
    )
    if changed:
        notifications.notify(
            payment,
            "refunded",
            refund_cents=locked.captured_cents - locked.refunded_cents,
            reason=reason.strip(),
        )
    return changed
