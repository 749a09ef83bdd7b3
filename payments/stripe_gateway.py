"""The only module that imports stripe. Everything Stripe says comes back as plain data
(IntentState, WebhookEvent); every Stripe error becomes PaymentFailed with a user-safe message.

Each owner collects with its own Stripe account, so every call takes that owner's secret key.
`settings.STRIPE_API_BASE` (tests: localstripe on 127.0.0.1) replaces Stripe's address.
"""

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from payments.exceptions import InvalidWebhook, PaymentFailed

logger = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class IntentState:
    """What Stripe says about a PaymentIntent, read again rather than trusted from an event."""

    id: str
    status: str  # Stripe's: requires_capture, succeeded, canceled, requires_payment_method…
    amount: int
    amount_received: int
    amount_refunded: int
    client_secret: str  # for the browser to finish a 3-D Secure check; never logged
    error_message: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    intent_id: str  # "" when the event is not about a PaymentIntent or its charge
    payload: dict[str, Any]


def _client(api_key: str) -> stripe.StripeClient:
    base = getattr(settings, "STRIPE_API_BASE", "")
    # No automatic retries: a retried POST after a timeout is safe only with the idempotency key,
    # and our callers decide when to try again.
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": base} if base else None,
        max_network_retries=0,
    )


def _failed(exc: stripe.StripeError) -> PaymentFailed:
    """A message the requester may read; Stripe's own text goes to the log only."""
    logger.warning("Stripe error %s: %s", type(exc).__name__, exc)
    if isinstance(exc, stripe.CardError):
        message = _("Your card was declined. No money was taken; try another card.")
    elif isinstance(exc, stripe.APIConnectionError):
        message = _("The payment service cannot be reached. Try again in a few minutes.")
    elif isinstance(exc, stripe.AuthenticationError):
        message = _("Card payments are not set up correctly for this building; tell its manager.")
    else:
        message = _("The payment service refused the operation. No money was taken.")
    return PaymentFailed(message, code=getattr(exc, "code", None) or "")


def _charge_refunded(charge: Any) -> int:
    if charge is None or isinstance(charge, str):
        return 0
    return int(charge.get("amount_refunded") or 0)


def _state(resource: Any) -> IntentState:
    intent = resource.to_dict()  # recursive: plain dicts and lists from here on
    error = intent.get("last_payment_error") or {}
    return IntentState(
        id=intent["id"],
        status=intent["status"],
        amount=int(intent["amount"]),
        amount_received=int(intent.get("amount_received") or 0),
        amount_refunded=_charge_refunded(intent.get("latest_charge")),
        error_message=str(error.get("message") or ""),
        client_secret=str(intent.get("client_secret") or ""),
        metadata=dict(intent.get("metadata") or {}),
    )


def intent_create(
    *,
    api_key: str,
    payment_id: int,
    amount_cents: int,
    hold_first: bool,
    metadata: dict[str, str],
    payment_method: str | None = None,
) -> IntentState:
    """Create a PaymentIntent: with `hold_first` the card is authorised and captured later,
    otherwise charged at once. With `payment_method` (created in the browser by Stripe.js) it
    is confirmed here, on the server; it may then need a 3-D Secure check in the browser.

    Raises PaymentFailed (a declined card included).
    """
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": "eur",
        "capture_method": "manual" if hold_first else "automatic",
        "payment_method_types": ["card"],
        "metadata": {"payment_id": str(payment_id), **metadata},
    }
    if payment_method:
        params.update(payment_method=payment_method, confirm=True)
    try:
        intent = _client(api_key).v1.payment_intents.create(
            params, {"idempotency_key": f"payment-{payment_id}-intent"}
        )
    except stripe.StripeError as exc:
        raise _failed(exc) from exc
    return _state(intent)


def intent_read(*, api_key: str, intent_id: str) -> IntentState:
    """Read a PaymentIntent with its latest charge (for refunds). Raises PaymentFailed."""
    try:
        intent = _client(api_key).v1.payment_intents.retrieve(
            intent_id, {"expand": ["latest_charge"]}
        )
    except stripe.StripeError as exc:
        raise _failed(exc) from exc
    return _state(intent)


def intent_capture(
    *, api_key: str, payment_id: int, intent_id: str, amount_cents: int | None = None
) -> IntentState:
    """Collect a held card: all of it, or `amount_cents` (the rest of the hold is released)."""
    params: dict[str, Any] = {} if amount_cents is None else {"amount_to_capture": amount_cents}
    try:
        intent = _client(api_key).v1.payment_intents.capture(
            intent_id, params, {"idempotency_key": f"payment-{payment_id}-capture"}
        )
    except stripe.StripeError as exc:
        raise _failed(exc) from exc
    return _state(intent)


def intent_cancel(*, api_key: str, payment_id: int, intent_id: str) -> IntentState:
    """Release the hold on the card."""
    try:
        intent = _client(api_key).v1.payment_intents.cancel(
            intent_id, options={"idempotency_key": f"payment-{payment_id}-cancel"}
        )
    except stripe.StripeError as exc:
        raise _failed(exc) from exc
    return _state(intent)


def refund_create(
    *, api_key: str, payment_id: int, refund_id: int, intent_id: str, amount_cents: int
) -> str:
    """Refund `amount_cents` of a captured intent; returns Stripe's refund id. Our Refund row's
    id gives the idempotency key, so a retried call never refunds twice."""
    try:
        refund = _client(api_key).v1.refunds.create(
            {
                "payment_intent": intent_id,
                "amount": amount_cents,
                "metadata": {"payment_id": str(payment_id), "refund_id": str(refund_id)},
            },
            {"idempotency_key": f"refund-{refund_id}"},
        )
    except stripe.StripeError as exc:
        raise _failed(exc) from exc
    return str(refund["id"])


def webhook_verify(*, payload: bytes, signature: str, secret: str) -> WebhookEvent:
    """Check the signature on the raw body (300 s tolerance) and parse it.

    Raises InvalidWebhook for a bad or stale signature or a malformed body.
    """
    if not secret:
        raise InvalidWebhook("no webhook secret")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
        data = event.to_dict()["data"]["object"]
        kind = str(event["type"])
        event_id = str(event["id"])
    except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError) as exc:
        raise InvalidWebhook(str(exc)) from exc
    if data.get("object") == "payment_intent":
        intent_id = str(data.get("id") or "")
    else:  # charge.refunded, charge.captured… name their intent
        intent_id = str(data.get("payment_intent") or "")
    return WebhookEvent(id=event_id, type=kind, intent_id=intent_id, payload=event.to_dict())
