"""The Stripe webhook: signed on the raw body, stored once, a trigger to re-read the intent."""

import io
import json
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.actors import PLATFORM
from payments.models import Payment, PaymentLog, PaymentStatus, StripeEvent
from payments.services.cards import payment_capture, payment_start
from tests.factories import booking_request_for
from tests.payments.conftest import SECRET_KEY, event_body, sign, slot


def stripe_call(url: str, path: str, **fields: object) -> dict:
    """Act on localstripe directly, as the Stripe dashboard would (outside our code)."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{url}{path}",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
        return json.load(response)


@pytest.fixture
def authorised(stripe_api, priced_space, requester, collector) -> Payment:
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    assert payment.status == PaymentStatus.AUTHORISED
    return payment


def post(client: Client, payment: Payment, body: bytes, signature: str):
    url = reverse("api:stripe-webhook", args=[payment.owner_id])
    return client.post(
        url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def intent_event(event_id: str, kind: str, payment: Payment) -> bytes:
    return event_body(event_id, kind, {"id": payment.stripe_intent_id, "object": "payment_intent"})


def test_webhook_captured_elsewhere_marks_the_payment_captured(
    client, stripe_api, authorised, mailoutbox, django_capture_on_commit_callbacks
):
    stripe_call(stripe_api, f"/v1/payment_intents/{authorised.stripe_intent_id}/capture")
    body = intent_event("evt_1", "payment_intent.succeeded", authorised)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, authorised, body, sign(body))

    authorised.refresh_from_db()
    assert (response.status_code, authorised.status) == (200, PaymentStatus.CAPTURED)
    assert len(mailoutbox) == 1


def test_webhook_replayed_ten_times_changes_the_payment_once(
    client, stripe_api, authorised, mailoutbox, django_capture_on_commit_callbacks
):
    stripe_call(stripe_api, f"/v1/payment_intents/{authorised.stripe_intent_id}/capture")
    body = intent_event("evt_replayed", "payment_intent.succeeded", authorised)

    with django_capture_on_commit_callbacks(execute=True):
        statuses = [post(client, authorised, body, sign(body)).status_code for _ in range(10)]

    assert statuses == [200] * 10
    assert StripeEvent.objects.count() == 1
    assert PaymentLog.objects.filter(to_status=PaymentStatus.CAPTURED).count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_webhook_replayed_ten_times_at_once_changes_the_payment_once(
    stripe_api, priced_space, requester, collector, mailoutbox
):
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    stripe_call(stripe_api, f"/v1/payment_intents/{payment.stripe_intent_id}/capture")
    body = intent_event("evt_concurrent", "payment_intent.succeeded", payment)
    barrier = threading.Barrier(10)
    mailoutbox.clear()  # the booking's own e-mails

    def deliver(_: int) -> int:
        barrier.wait()
        try:
            return post(Client(), payment, body, sign(body)).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(deliver, range(10)))

    assert statuses == [200] * 10
    assert StripeEvent.objects.count() == 1
    assert PaymentLog.objects.filter(to_status=PaymentStatus.CAPTURED).count() == 1
    assert len(mailoutbox) == 1


def test_webhook_events_out_of_order_end_in_stripes_state(client, stripe_api, authorised):
    intent = authorised.stripe_intent_id
    stripe_call(stripe_api, f"/v1/payment_intents/{intent}/capture")
    stripe_call(stripe_api, "/v1/refunds", payment_intent=intent)
    refunded = event_body(
        "evt_3", "charge.refunded", {"id": "ch_x", "object": "charge", "payment_intent": intent}
    )
    succeeded = intent_event("evt_2", "payment_intent.succeeded", authorised)
    capturable = intent_event("evt_1", "payment_intent.amount_capturable_updated", authorised)

    for body in (refunded, succeeded, capturable):  # newest first
        assert post(client, authorised, body, sign(body)).status_code == 200

    authorised.refresh_from_db()
    assert (authorised.status, authorised.refunded_cents) == (
        PaymentStatus.REFUNDED,
        authorised.amount_cents,
    )
    assert list(authorised.log.values_list("to_status", flat=True)) == [
        PaymentStatus.AUTHORISED,
        PaymentStatus.CAPTURED,
        PaymentStatus.REFUNDED,
    ]


@pytest.mark.parametrize(
    "make_signature",
    [
        pytest.param(lambda body: sign(body, secret="whsec_someone_else"), id="bad-signature"),
        pytest.param(lambda body: sign(body, timestamp=int(time.time()) - 301), id="stale"),
        pytest.param(lambda body: "", id="no-signature"),
    ],
)
def test_webhook_untrusted_is_refused_and_changes_nothing(
    client, stripe_api, authorised, make_signature
):
    stripe_call(stripe_api, f"/v1/payment_intents/{authorised.stripe_intent_id}/capture")
    body = intent_event("evt_forged", "payment_intent.succeeded", authorised)

    response = post(client, authorised, body, make_signature(body))

    authorised.refresh_from_db()
    assert (response.status_code, authorised.status) == (400, PaymentStatus.AUTHORISED)
    assert not StripeEvent.objects.exists()


def test_webhook_with_a_malformed_body_is_refused(client, stripe_api, authorised):
    body = b'{"id": "evt_broken", "type": '

    response = post(client, authorised, body, sign(body))

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_webhook_for_another_owners_payment_changes_nothing(
    client, stripe_api, authorised, other_site
):
    from payments.models import PaymentChannel

    PaymentChannel.objects.create(
        owner=other_site.owner,
        kind="stripe",
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret="whsec_other",
    )
    stripe_call(stripe_api, f"/v1/payment_intents/{authorised.stripe_intent_id}/capture")
    body = intent_event("evt_other", "payment_intent.succeeded", authorised)
    url = reverse("api:stripe-webhook", args=[other_site.owner_id])

    response = client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, secret="whsec_other"),
    )

    authorised.refresh_from_db()
    assert (response.status_code, authorised.status) == (200, PaymentStatus.AUTHORISED)


def test_reconcile_payments_repairs_a_missed_event(stripe_api, authorised):
    stripe_call(stripe_api, f"/v1/payment_intents/{authorised.stripe_intent_id}/capture")

    call_command("reconcile_payments", "--days", "2", stdout=io.StringIO())

    authorised.refresh_from_db()
    assert authorised.status == PaymentStatus.CAPTURED


def test_a_refund_made_in_stripes_dashboard_is_recorded_with_its_credit_note(
    client, stripe_api, authorised, django_capture_on_commit_callbacks
):
    from payments.models import Invoice, InvoiceKind, RefundStatus

    intent = authorised.stripe_intent_id
    with django_capture_on_commit_callbacks(execute=True):
        payment_capture(actor=PLATFORM, payment=authorised)  # invoice issued on capture
    stripe_call(stripe_api, "/v1/refunds", payment_intent=intent, amount=1000)  # the dashboard
    body = event_body(
        "evt_9", "charge.refunded", {"id": "ch_x", "object": "charge", "payment_intent": intent}
    )

    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(2):  # delivered twice: recorded once
            assert post(client, authorised, body, sign(body)).status_code == 200

    authorised.refresh_from_db()
    assert (authorised.status, authorised.refunded_cents) == (PaymentStatus.CAPTURED, 1000)
    [refund] = authorised.refunds.all()
    assert (refund.amount_cents, refund.status) == (1000, RefundStatus.SUCCEEDED)
    assert "Stripe" in refund.reason
    credit_note = Invoice.objects.get(refund=refund)
    assert credit_note.kind == InvoiceKind.CREDIT_NOTE
    assert credit_note.amount_cents == 1000


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _nested_event(event_id: str, intent: str, levels: int) -> str:
    """A well-formed event whose intent's metadata nests `levels` arrays."""
    head = json.dumps(
        {"id": event_id, "type": "payment_intent.succeeded", "data": {"object": {"id": intent}}}
    )
    return (
        head[: -len("}}}")] + ', "object": "payment_intent", "metadata": ' + _deep(levels) + "}}}"
    )


@pytest.mark.parametrize(
    "make_body",
    [
        pytest.param(
            lambda intent: json.dumps(
                {"id": "evt_s", "type": "payment_intent.succeeded", "data": {"object": intent}}
            ),
            id="object-is-a-string",
        ),
        pytest.param(
            lambda intent: json.dumps(
                [{"id": "evt_l", "type": "payment_intent.succeeded", "data": {"object": {}}}]
            ),
            id="top-level-list",
        ),
        pytest.param(
            lambda intent: json.dumps({"id": "evt_d", "type": "payment_intent.succeeded"}),
            id="no-data",
        ),
        pytest.param(
            lambda intent: json.dumps({"id": 7, "type": ["x"], "data": {"object": {"id": intent}}}),
            id="id-and-type-not-strings",
        ),
        pytest.param(lambda intent: '"evt"', id="a-bare-string"),
        pytest.param(lambda intent: _deep(100_000), id="nested-100000"),
        pytest.param(
            lambda intent: _nested_event("evt_n", intent, 100_000),
            id="event-nested-100000",
        ),
        pytest.param(
            lambda intent: _nested_event("evt_m", intent, 200),
            id="event-nested-200",
        ),
    ],
)
def test_webhook_signed_but_not_shaped_like_an_event_is_a_400_that_changes_nothing(
    client, stripe_api, authorised, make_body
):
    stripe_call(stripe_api, f"/v1/payment_intents/{authorised.stripe_intent_id}/capture")
    body = make_body(authorised.stripe_intent_id).encode()

    response = post(client, authorised, body, sign(body))

    authorised.refresh_from_db()
    assert (response.status_code, authorised.status) == (400, PaymentStatus.AUTHORISED)
    assert not StripeEvent.objects.exists()
