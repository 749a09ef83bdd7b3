"""The events of the other apps, through their real services and the signals they now send
after commit: an agreement signed, a call published, a payment received."""

from datetime import date

import pytest
from django.db import transaction

from calls.services import call_publish
from integrations.models import EventType
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services.status import payment_transition
from tests.calls.conftest import draft_call
from tests.factories import MembershipFactory, SpaceFactory, agreement_signed
from tests.integrations.conftest import endpoint_for, request_booking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_a_signed_agreement_is_sent_to_its_structure(
    receiver, occupant, verified, site, commune_staff, django_capture_on_commit_callbacks
):
    endpoint_for(occupant, receiver.url, [EventType.AGREEMENT_SIGNED, EventType.AGREEMENT_ENDED])
    office = SpaceFactory(site=site, allocatable=True, bookable=False)

    with django_capture_on_commit_callbacks(execute=True):
        agreement = agreement_signed(
            actor=occupant,
            structure=verified,
            spaces=[office],
            start=date(2027, 2, 1),
            end=date(2028, 2, 1),
        )

    [received] = receiver.received
    assert received.payload["type"] == "agreement.signed"
    assert received.payload["data"]["id"] == agreement.pk
    assert received.payload["data"]["structure"] == verified.pk


def test_a_published_call_is_sent_to_an_endpoint_of_any_structure(
    receiver, booker, site, commune_staff, django_capture_on_commit_callbacks
):
    endpoint_for(booker, receiver.url, [EventType.CALL_PUBLISHED])
    office = SpaceFactory(site=site, allocatable=True, bookable=False)
    call = draft_call(actor=commune_staff, owner=site.owner, spaces=[office])

    with django_capture_on_commit_callbacks(execute=True):
        call_publish(call=call, actor=commune_staff)

    [received] = receiver.received
    assert received.payload["type"] == "call.published"
    assert received.payload["data"]["owner"] == site.owner_id


def test_a_payment_received_is_sent_to_the_collector_not_to_a_stranger(
    receiver, booker, space, stranger, django_capture_on_commit_callbacks
):
    collector_admin = MembershipFactory(organisation=space.site.owner).user
    endpoint_for(
        collector_admin,
        f"{receiver.url}?collector",
        [EventType.PAYMENT_CAPTURED],
        organisation=space.site.owner,
    )
    endpoint_for(stranger, f"{receiver.url}?stranger", [EventType.PAYMENT_CAPTURED])
    booking = request_booking(space, booker)
    payment = Payment.objects.create(
        purpose=PaymentPurpose.BOOKING_FEE,
        booking=booking,
        owner=space.site.owner,
        amount_cents=5_000,
        price_rule="2 h × 25 €",
        status=PaymentStatus.AUTHORISED,
    )

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        payment_transition(payment=payment, to=PaymentStatus.CAPTURED, captured_cents=5_000)

    [received] = receiver.received
    assert received.path.endswith("?collector")
    assert received.payload["data"]["amount_cents"] == 5_000
