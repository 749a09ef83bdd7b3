"""Stripe webhooks (a trigger to read the PaymentIntent again) and reconciliation."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.actors import PLATFORM
from accounts.models import Organisation
from payments import selectors, stripe_gateway
from payments.exceptions import PaymentFailed
from payments.models import ChannelKind, Payment, PaymentChannel, StripeEvent
from payments.services.status import payment_sync
from payments.stripe_gateway import WebhookEvent

logger = logging.getLogger(__name__)


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
        changed = (
            payment_sync(payment, state, stripe_event_id=event.id, actor=PLATFORM)
            if payment and state
            else False
        )
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
            changed += payment_sync(payment, state, actor=PLATFORM)
    return checked, changed
