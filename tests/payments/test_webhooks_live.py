"""Webhooks as Stripe sends them: localstripe, with a webhook registered to the live server,
signs and posts its own events; the payment follows without any call from our side.

Each test waits for the outcome it checks, with a generous deadline (the wait ends as soon as
it is there): localstripe posts an event a second after it happens, and on a busy machine the
live server may take several more to process it. The e-mail goes after the commit that changes
the status, from the live server's thread: it is waited for too, not expected at once.
"""

import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from django.urls import reverse

from payments.models import ChannelKind, Payment, PaymentChannel, PaymentStatus, StripeEvent
from payments.services.cards import payment_start
from tests.factories import CommuneOrganisationFactory, booking_request_for
from tests.localstripe import CALL_TIMEOUT_SECONDS
from tests.payments.conftest import SECRET_KEY, WEBHOOK_SECRET, slot

pytestmark = pytest.mark.django_db(transaction=True)


def _stripe(url: str, path: str, fields: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{url}{path}",
        data=urllib.parse.urlencode(fields, doseq=True).encode(),
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS) as response:  # noqa: S310 (loopback)
        body = response.read()
    return json.loads(body) if body else {}


def _wait_for(condition, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _captured_and_told(payment: Payment, mailoutbox: list) -> bool:
    """The payment is captured, the event of the capture itself is processed, the mail is sent.

    localstripe also sends payment_intent.succeeded when the card is authorised, and either
    event may bring the capture (each re-reads the intent): waiting for the capture's own event
    (its intent says "succeeded") means no delivery of this test is still in flight.
    """
    captured = Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED
    mailed = any("Paiement reçu" in message.subject for message in mailoutbox)
    return captured and _capture_event_processed(StripeEvent.objects.all()) and mailed


def _capture_event_processed(events) -> bool:
    """The event localstripe sent for the capture (its intent says "succeeded") is processed."""
    return any(
        event.payload["data"]["object"].get("status") == "succeeded"
        for event in events.filter(processed_at__isnull=False)
    )


def test_a_capture_made_at_stripe_reaches_the_payment_through_a_signed_webhook(
    live_server, stripe_api, stripe_webhook, priced_space, requester, collector, mailoutbox
):
    endpoint = live_server.url + reverse("api:stripe-webhook", args=[collector.owner_id])
    stripe_webhook(
        "locaux-communs", url=endpoint, secret=WEBHOOK_SECRET, events=["payment_intent.succeeded"]
    )
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    assert payment.status == PaymentStatus.AUTHORISED

    # Captured in Stripe's dashboard, say: only the webhook tells us.
    _stripe(stripe_api, f"/v1/payment_intents/{payment.stripe_intent_id}/capture", {})

    assert _wait_for(lambda: _captured_and_told(payment, mailoutbox)), (
        f"no capture within the deadline: {Payment.objects.get(pk=payment.pk).status}, "
        f"events {list(StripeEvent.objects.values_list('type', 'processed_at'))}, "
        f"mails {[message.subject for message in mailoutbox]}"
    )
    # localstripe may also have sent an event when the card was authorised; the capture is
    # logged against the event that brought it.
    log = Payment.objects.get(pk=payment.pk).log.get(to_status=PaymentStatus.CAPTURED)
    event = StripeEvent.objects.get(stripe_id=log.stripe_event_id)
    assert event.type == "payment_intent.succeeded"
    assert event.processed_at is not None
    assert event.owner_id == collector.owner_id
    assert len([m for m in mailoutbox if "Paiement reçu" in m.subject]) == 1


def test_a_webhook_signed_with_another_secret_changes_nothing(
    live_server, stripe_api, stripe_webhook, priced_space, requester, collector
):
    # A witness, another collecting organisation with its own secret, is registered after the
    # impostor: localstripe posts each event to its webhooks one after the other, so once the
    # witness has recorded the capture's event the forged copy has been answered. Waiting for
    # that (rather than for nothing to happen during a few seconds) holds however slow the
    # machine. (Event ids are unique: had the forged copy been accepted, it would be recorded
    # against the collector and the witness's copy ignored.)
    witness = PaymentChannel.objects.create(
        owner=CommuneOrganisationFactory(name="Commune témoin"),
        kind=ChannelKind.STRIPE,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret="whsec_witness",
    )
    run = uuid.uuid4().hex
    stripe_webhook(
        f"impostor-{run}",
        url=live_server.url + reverse("api:stripe-webhook", args=[collector.owner_id]),
        secret="whsec_not_ours",
        events=["payment_intent.succeeded"],
    )
    stripe_webhook(
        f"witness-{run}",
        url=live_server.url + reverse("api:stripe-webhook", args=[witness.owner_id]),
        secret="whsec_witness",
        events=["payment_intent.succeeded"],
    )
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    _stripe(stripe_api, f"/v1/payment_intents/{payment.stripe_intent_id}/capture", {})

    assert _wait_for(lambda: _capture_event_processed(StripeEvent.objects.all())), (
        "the capture's event never arrived"
    )
    assert not StripeEvent.objects.filter(owner=collector.owner).exists()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORISED
