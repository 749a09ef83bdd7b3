"""Writes on payments: tariffs, channels, card payments of bookings, webhooks, reconciliation.

Stripe is called outside transactions (slow I/O must not hold row locks); the Payment row is
saved before the first call so its id gives the idempotency keys, and every status change goes
through `_payment_transition`, which locks the row, is idempotent and logs.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from bookings.models import OCCUPYING, Booking, BookingStatus
from bookings.selectors import bookings_manageable_by, bookings_of_requester
from core.workflow import status_change
from payments import selectors, stripe_gateway
from payments.exceptions import PaymentFailed
from payments.models import (
    PAYMENT_TRANSITIONS,
    ChannelKind,
    Payment,
    PaymentChannel,
    PaymentLog,
    PaymentStatus,
    StripeEvent,
    Tariff,
)
from payments.rules import format_eur, refund_cents
from payments.stripe_gateway import IntentState, WebhookEvent
from spaces.models import Space

logger = logging.getLogger(__name__)


# --- Tariffs and channels ---


def tariff_set(
    *, space: Space, category: str, unit: str, amount_cents: int, currency: str = "EUR"
) -> Tariff:
    """Create or change the tariff of a space for a category and unit.

    Raises ValidationError (unknown category or unit, negative or absurd amount, not EUR).
    """
    tariff = Tariff.objects.filter(space=space, category=category, unit=unit).first() or Tariff(
        space=space, category=category, unit=unit
    )
    tariff.amount_cents = amount_cents
    tariff.currency = currency
    tariff.full_clean()
    tariff.save()
    return tariff


def channel_set(*, owner: Organisation, kind: str, **fields: str) -> PaymentChannel:
    """Choose how `owner` collects fees. Raises ValidationError (e.g. free without legal basis)."""
    channel = PaymentChannel.objects.filter(owner=owner).first() or PaymentChannel(owner=owner)
    channel.kind = kind
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.full_clean()
    channel.save()
    return channel


# --- Status changes ---


MAILED = {PaymentStatus.CAPTURED: "captured", PaymentStatus.REFUNDED: "refunded"}


def _payment_transition(
    *,
    payment: Payment,
    to: str,
    actor: User | None = None,
    reason: str = "",
    stripe_event_id: str = "",
    **fields: object,
) -> bool:
    """Change the status; idempotent (already there, or a state it cannot go back to → False).

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
        actor=actor,
        reason=reason,
        stripe_event_id=stripe_event_id,
    )
    if to in MAILED:
        transaction.on_commit(lambda: _mail(payment.pk, MAILED[to]))
    return True


def _mail(payment_id: int, event: str) -> None:
    payment = Payment.objects.select_related("booking__space", "booking__requested_by").get(
        pk=payment_id
    )
    # E-mails are in French, whatever language the person who triggered them was using.
    with translation.override("fr"):
        body = render_to_string(
            f"payments/emails/payment_{event}.txt",
            {
                "payment": payment,
                "booking": payment.booking,
                "amount": format_eur(payment.amount_cents),
                "refunded": format_eur(payment.refunded_cents),
                "site_url": settings.SITE_URL,
            },
        )
        subjects = {"captured": _("Payment received"), "refunded": _("Payment refunded")}
        subject = f"[Locaux Communs] {subjects[event]} — {payment.booking.space.name}"
    send_mail(
        subject=subject,
        message=body,
        from_email=None,
        recipient_list=[payment.booking.requested_by.email],
    )


def _target_of(state: IntentState) -> str:
    if state.status == "succeeded":
        return PaymentStatus.REFUNDED if state.amount_refunded > 0 else PaymentStatus.CAPTURED
    if state.status == "requires_capture":
        return PaymentStatus.AUTHORISED
    if state.status == "canceled":
        return PaymentStatus.RELEASED
    if state.status == "requires_payment_method" and state.error_message:
        return PaymentStatus.FAILED
    return PaymentStatus.REQUIRES_AUTHORISATION


def _sync(
    payment: Payment, state: IntentState, *, stripe_event_id: str = "", actor: User | None = None
) -> bool:
    """Bring the payment to the state Stripe reports. Must run inside transaction.atomic()."""
    target = _target_of(state)
    changed = False
    if target == PaymentStatus.REFUNDED:
        # A missed capture event: pass through "captured" so both steps are logged.
        changed |= _payment_transition(
            payment=payment, to=PaymentStatus.CAPTURED, stripe_event_id=stripe_event_id
        )
        return changed | _payment_transition(
            payment=payment,
            to=target,
            actor=actor,
            stripe_event_id=stripe_event_id,
            refunded_cents=min(state.amount_refunded, payment.amount_cents),
        )
    extra = {"failure_message": _("The card was declined.")} if target == "failed" else {}
    return _payment_transition(
        payment=payment, to=target, actor=actor, stripe_event_id=stripe_event_id, **extra
    )


# --- Card payments of bookings ---


def _stripe_channel(booking: Booking) -> PaymentChannel:
    channel = selectors.channel_of(booking.space)
    if channel is None or channel.kind != ChannelKind.STRIPE:
        raise ValidationError(_("This building does not take card payments."))
    if not channel.stripe_ready:
        raise ValidationError(
            _("Card payments are not available yet for this building: its keys are missing.")
        )
    return channel


def payment_start(*, booking: Booking, actor: User, payment_method: str | None = None) -> Payment:
    """Hold the booking's fee on the requester's card (captured when the booking is approved).

    The Payment row is committed before Stripe is called. With `payment_method` the intent is
    confirmed at once; without it the page confirms it with Stripe's Payment Element.
    Raises PermissionDenied (not the actor's booking), ValidationError (no fee, no channel,
    booking not active), PaymentFailed (declined card: the attempt is recorded as failed).
    """
    if not bookings_of_requester(actor).filter(pk=booking.pk).exists():
        raise PermissionDenied(_("You may only pay for your organisation's bookings."))
    booking = Booking.objects.select_related("space__site", "organisation").get(pk=booking.pk)
    if booking.status not in OCCUPYING:
        raise ValidationError(_("This booking is no longer active: there is nothing to pay."))
    channel = _stripe_channel(booking)
    price = selectors.booking_quote(booking=booking)
    if price is None or price.is_free:
        raise ValidationError(_("This booking is free: there is nothing to pay."))
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                booking=booking,
                owner=channel.owner,
                amount_cents=price.amount_cents,
                price_rule=price.rule,
            )
    except IntegrityError:  # one live attempt per booking (a constraint): show that one
        existing = selectors.payment_live_of(booking=booking)
        if existing is None or existing.stripe_intent_id:
            return existing or Payment.objects.get(booking=booking)
        payment = existing
    try:
        state = stripe_gateway.intent_create(
            api_key=channel.stripe_secret_key,
            payment_id=payment.pk,
            booking_id=booking.pk,
            amount_cents=payment.amount_cents,
            payment_method=payment_method,
        )
    except PaymentFailed as exc:
        with transaction.atomic():
            _payment_transition(
                payment=payment,
                to=PaymentStatus.FAILED,
                actor=actor,
                reason=exc.message,
                failure_message=exc.message,
            )
        raise
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(stripe_intent_id=state.id)
        payment.stripe_intent_id = state.id
        _sync(payment, state, actor=actor)
    payment.refresh_from_db()
    if payment.status == PaymentStatus.AUTHORISED and booking.status == BookingStatus.CONFIRMED:
        # Confirmed before the card was held (instant confirmation): collect now.
        payment_capture(payment=payment)
        payment.refresh_from_db()
    return payment


def payment_capture(*, payment: Payment, actor: User | None = None) -> bool:
    """Collect an authorised payment (its booking was approved). Raises PaymentFailed."""
    payment.refresh_from_db()
    if payment.status != PaymentStatus.AUTHORISED:
        return False
    channel = PaymentChannel.objects.get(owner=payment.owner)
    state = stripe_gateway.intent_capture(
        api_key=channel.stripe_secret_key,
        payment_id=payment.pk,
        intent_id=payment.stripe_intent_id,
    )
    with transaction.atomic():
        return _sync(payment, state, actor=actor)


def payment_release(*, payment: Payment, actor: User | None = None, reason: str = "") -> bool:
    """Release the hold on the card (booking refused, lapsed or cancelled before approval)."""
    payment.refresh_from_db()
    if payment.status not in (PaymentStatus.REQUIRES_AUTHORISATION, PaymentStatus.AUTHORISED):
        return False
    if payment.stripe_intent_id:
        channel = PaymentChannel.objects.get(owner=payment.owner)
        state = stripe_gateway.intent_cancel(
            api_key=channel.stripe_secret_key,
            payment_id=payment.pk,
            intent_id=payment.stripe_intent_id,
        )
        with transaction.atomic():
            return _sync(payment, state, actor=actor)
    with transaction.atomic():
        return _payment_transition(
            payment=payment, to=PaymentStatus.RELEASED, actor=actor, reason=reason
        )


def payment_refund(
    *, payment: Payment, actor: User | None, amount_cents: int | None = None, reason: str = ""
) -> bool:
    """Refund a captured payment (all of it by default); at most once, even when two managers
    click at the same moment. Returns False when it was already refunded or is not captured.

    Raises ValidationError (amount out of range), PaymentFailed (Stripe refused: the claim is
    lifted so that someone may try again).
    """
    amount = payment.amount_cents if amount_cents is None else amount_cents
    if not 0 < amount <= payment.amount_cents:
        raise ValidationError(_("The refund must be between 0 and the amount paid."))
    # Claim the refund with one conditional UPDATE: atomic on both databases, and whoever
    # loses the race sees 0 rows and stops before calling Stripe.
    claimed = Payment.objects.filter(
        pk=payment.pk, status=PaymentStatus.CAPTURED, refund_claimed_at__isnull=True
    ).update(refund_claimed_at=timezone.now())
    if not claimed:
        return False
    channel = PaymentChannel.objects.get(owner=payment.owner)
    try:
        stripe_gateway.refund_create(
            api_key=channel.stripe_secret_key,
            payment_id=payment.pk,
            intent_id=payment.stripe_intent_id,
            amount_cents=amount,
        )
    except PaymentFailed:
        Payment.objects.filter(pk=payment.pk).update(refund_claimed_at=None)
        raise
    with transaction.atomic():
        return _payment_transition(
            payment=payment,
            to=PaymentStatus.REFUNDED,
            actor=actor,
            reason=reason,
            refunded_cents=amount,
        )


def payment_refund_for_cancellation(*, payment: Payment, now: datetime | None = None) -> bool:
    """Refund what the space's cancellation policy gives back for a cancelled booking."""
    now = now or timezone.now()
    booking = payment.booking
    entry = booking.log.filter(to_status=BookingStatus.CANCELLED).order_by("-pk").first()
    actor = entry.actor if entry else None
    by_manager = bool(actor and bookings_manageable_by(actor).filter(pk=booking.pk).exists()) or (
        actor is None
    )
    cancelled_at = entry.created_at if entry else now
    hours = (booking.start - cancelled_at).total_seconds() / 3600
    amount, rule = refund_cents(
        amount_cents=payment.amount_cents,
        hours_before_start=hours,
        notice_hours=booking.space.cancellation_notice_hours,
        by_manager=by_manager,
    )
    if amount == 0:
        with transaction.atomic():
            PaymentLog.objects.create(
                payment=payment,
                from_status=payment.status,
                to_status=payment.status,
                actor=actor,
                reason=rule,
            )
        return False
    return payment_refund(payment=payment, actor=actor, amount_cents=amount, reason=rule)


# --- Webhooks and reconciliation ---


def webhook_verify(*, owner: Organisation, payload: bytes, signature: str) -> WebhookEvent:
    """Raises InvalidWebhook (no Stripe channel, bad or stale signature, malformed body)."""
    channel = PaymentChannel.objects.filter(owner=owner, kind=ChannelKind.STRIPE).first()
    secret = channel.stripe_webhook_secret if channel else ""
    return stripe_gateway.webhook_verify(payload=payload, signature=signature, secret=secret)


def event_process(*, owner: Organisation, event: WebhookEvent) -> bool:
    """Record the event once and bring its payment to the state Stripe reports now.

    The event is only a trigger: the PaymentIntent is read again, so late, repeated and
    out-of-order events all end in Stripe's current state. Returns True if a payment changed.
    Raises PaymentFailed when Stripe cannot be read (the caller answers 500: Stripe retries).
    """
    if StripeEvent.objects.filter(stripe_id=event.id, processed_at__isnull=False).exists():
        return False
    payment = (
        Payment.objects.filter(owner=owner, stripe_intent_id=event.intent_id).first()
        if event.intent_id
        else None
    )
    state = None
    if payment is not None:
        channel = PaymentChannel.objects.get(owner=owner)
        state = stripe_gateway.intent_read(
            api_key=channel.stripe_secret_key, intent_id=event.intent_id
        )
    with transaction.atomic():
        stored, _created = StripeEvent.objects.get_or_create(
            stripe_id=event.id,
            defaults={"owner": owner, "type": event.type[:100], "payload": event.payload},
        )
        stored = StripeEvent.objects.select_for_update().get(pk=stored.pk)
        if stored.processed_at is not None or stored.owner_id != owner.pk:
            return False
        changed = _sync(payment, state, stripe_event_id=event.id) if payment and state else False
        stored.processed_at = timezone.now()
        stored.save(update_fields=["processed_at"])
    return changed


def payments_reconcile(*, days: int = 3, now: datetime | None = None) -> tuple[int, int]:
    """Read again the intents of payments still in progress (missed webhooks).

    Returns (checked, changed); a payment whose intent cannot be read is logged and skipped.
    """
    checked = changed = 0
    for payment in selectors.payments_to_reconcile(days=days, now=now):
        channel = getattr(payment.owner, "payment_channel", None)
        if channel is None or not channel.stripe_secret_key:
            continue
        try:
            state = stripe_gateway.intent_read(
                api_key=channel.stripe_secret_key, intent_id=payment.stripe_intent_id
            )
        except PaymentFailed:
            logger.warning("Cannot read the intent of payment %s", payment.pk)
            continue
        checked += 1
        with transaction.atomic():
            changed += _sync(payment, state)
    return checked, changed
