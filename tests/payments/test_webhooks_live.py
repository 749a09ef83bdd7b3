"""Webhooks as Stripe sends them: localstripe, with a webhook registered to the live server,
signs and posts its own events; the payment follows without any call from our side.
"""

import json
import time
import urllib.parse
import urllib.request

import pytest
from django.urls import reverse

from payments.models import Payment, PaymentStatus, StripeEvent
from payments.services.cards import payment_start
from tests.factories import booking_request_for
from tests.payments.conftest import SECRET_KEY, WEBHOOK_SECRET, slot

pytestmark = pytest.mark.django_db(transaction=True)


def _stripe(url: str, path: str, fields: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{url}{path}",
        data=urllib.parse.urlencode(fields, doseq=True).encode(),
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
        body = response.read()
    return json.loads(body) if body else {}


def _wait_for(condition, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_capture_made_at_stripe_reaches_the_payment_through_a_signed_webhook(
    live_server, stripe_api, priced_space, requester, collector, mailoutbox
):
    endpoint = live_server.url + reverse("api:stripe-webhook", args=[collector.owner_id])
    _stripe(
        stripe_api,
        "/_config/webhooks/locaux-communs",
        {"url": endpoint, "secret": WEBHOOK_SECRET, "events[]": ["payment_intent.succeeded"]},
    )
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    assert payment.status == PaymentStatus.AUTHORISED

    # Captured in Stripe's dashboard, say: only the webhook tells us.
    _stripe(stripe_api, f"/v1/payment_intents/{payment.stripe_intent_id}/capture", {})

    assert _wait_for(lambda: Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED), (
        "the webhook never arrived"
    )
    # localstripe may also have sent an event when the card was authorised; the capture is
    # logged against the event that brought it.
    log = Payment.objects.get(pk=payment.pk).log.get(to_status=PaymentStatus.CAPTURED)
    event = StripeEvent.objects.get(stripe_id=log.stripe_event_id)
    assert event.type == "payment_intent.succeeded"
    assert event.processed_at is not None
    assert event.owner_id == collector.owner_id
    assert [m.subject for m in mailoutbox if "Paiement reçu" in m.subject]


def test_a_webhook_signed_with_another_secret_changes_nothing(
    live_server, stripe_api, priced_space, requester, collector
):
    endpoint = live_server.url + reverse("api:stripe-webhook", args=[collector.owner_id])
    _stripe(
        stripe_api,
        "/_config/webhooks/impostor",
        {"url": endpoint, "secret": "whsec_not_ours", "events[]": ["payment_intent.succeeded"]},
    )
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    _stripe(stripe_api, f"/v1/payment_intents/{payment.stripe_intent_id}/capture", {})

    assert not _wait_for(lambda: StripeEvent.objects.exists(), seconds=4)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORISED
