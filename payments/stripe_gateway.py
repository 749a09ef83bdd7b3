"""The only module that imports stripe. Everything Stripe says comes back as plain data
(IntentState, WebhookEvent); every Stripe error becomes PaymentFailed with a user-safe message.

Each owner collects with its own Stripe account, so every call takes that owner's secret key.
`settings.STRIPE_API_BASE` (tests: localstripe on 127.0.0.1) replaces Stripe's address.
"""

import json
import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from payments.exceptions import InvalidWebhook, PaymentFailed, PaymentServiceUnavailable

logger = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
# Stripe's events nest a dozen levels at most (event → data → object → charges → …).
WEBHOOK_MAX_DEPTH = 32


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
    code = getattr(exc, "code", None) or ""
    if isinstance(exc, stripe.CardError):
        message = _("Your card was declined. No money was taken; try another card.")
    elif isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        # Unreachable, overloaded or failing on Stripe's side: not a refusal of the card.
        return PaymentServiceUnavailable(
            _("The payment service is temporarily unavailable. Try again in a few minutes."),
            code=code or "payment_service_unavailable",
        )
    elif isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return PaymentServiceUnavailable(
            _("Card payments are not set up correctly for this building; tell its manager."),
            code=code or "payment_service_misconfigured",
        )
    else:
        message = _("The payment service refused the operation. No money was taken.")
    return PaymentFailed(message, code=code)


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
    """Check the signature on the raw body (300 s tolerance), then the shape of the event.

    Raises InvalidWebhook for a bad or stale signature or a malformed body: not JSON, nested
    deeper than any Stripe event, or not an event whose `data.object` is an object. A valid
    signature only proves who sent the body, not that our code can read it.
    """
    if not secret:
        raise InvalidWebhook("no webhook secret")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError, RecursionError) as exc:
        # ValueError: not UTF-8 or not JSON; RecursionError: nested too deep to decode.
        raise InvalidWebhook(type(exc).__name__) from exc
    if _too_deep(event):
        raise InvalidWebhook("nested too deeply")
    data = event.get("data") if isinstance(event, dict) else None
    resource = data.get("object") if isinstance(data, dict) else None
    if not (
        isinstance(resource, dict)
        and isinstance(event.get("id"), str)
        and event["id"]
        and isinstance(event.get("type"), str)
    ):
        raise InvalidWebhook("not a Stripe event")
    if resource.get("object") == "payment_intent":
        intent_id = resource.get("id")
    else:  # charge.refunded, charge.captured… name their intent
        intent_id = resource.get("payment_intent")
    return WebhookEvent(
        id=event["id"],
        type=event["type"],
        intent_id=intent_id if isinstance(intent_id, str) else "",
        payload=event,
    )


def _too_deep(value: Any) -> bool:
    """Whether `value` nests arrays or objects more than WEBHOOK_MAX_DEPTH levels (no recursion:
    the payload is stored in a JSON column and walked again later)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > WEBHOOK_MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False
