"""A change that raises a booking's price (issue 16): by card, the difference is asked as a
supplement the requester pays from the booking page (localstripe over HTTP); a later lowering
cancels it first; a cancellation refunds the fee and the paid supplement; through the public
accountant, the difference is a supplement line of the billing export. Heard twice or at once,
a change asks once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import F
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from bookings.models import Booking
from bookings.rules import Period
from bookings.services import BookingChange, booking_approve, booking_cancel, booking_reschedule
from bookings.signals import booking_changed
from core.models import OutboxMail
from payments.models import (
    BillingSupplement,
    BillingSupplementStatus,
    ChannelKind,
    Payment,
    PaymentChannel,
    PaymentPurpose,
    PaymentStatus,
)
from payments.selectors import billing_lines
from payments.services.cards import payment_pay, payment_start
from payments.services.supplements import booking_supplement_settle, supplement_reduce
from tests.factories import booking_request_for
from tests.payments.conftest import HOURLY_CENTS, slot


def _lasting(booking, hours: int, manager, capture) -> None:
    with capture(execute=True):
        booking_reschedule(
            booking=booking,
            change=BookingChange(
                period=Period(booking.start, booking.start + timedelta(hours=hours))
            ),
            actor=manager,
        )
    booking.refresh_from_db()


def _supplements(booking):
    return Payment.objects.filter(booking=booking, purpose=PaymentPurpose.SUPPLEMENT)


def test_a_higher_price_asks_the_difference_with_an_email_and_a_notification(
    captured_booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    booking, fee = captured_booking

    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)

    supplement = _supplements(booking).get()
    assert (supplement.status, supplement.amount_cents) == (
        PaymentStatus.REQUIRES_AUTHORISATION,
        HOURLY_CENTS,
    )
    assert supplement.stripe_intent_id == ""  # nothing charged without the requester
    fee.refresh_from_db()
    assert fee.refunded_cents == 0
    mail = OutboxMail.objects.get(about=f"payment {supplement.pk}, supplement")
    assert mail.recipients == [requester.email]
    assert "Reste à payer : 15,00" in mail.body
    assert supplement.get_absolute_url() in mail.body
    assert Notification.objects.filter(
        user=requester, topic="payment_supplement", link=supplement.get_absolute_url()
    ).exists()


def test_the_requester_pays_the_supplement_from_the_booking_page(
    captured_booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    booking, _fee = captured_booking
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)
    supplement = _supplements(booking).get()
    client = Client()
    client.force_login(requester)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Reste à payer : 15,00" in page
    assert supplement.get_absolute_url() in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("payments:payment-pay", args=[supplement.pk]),
            {"payment_method": "pm_card_visa"},
        )

    supplement.refresh_from_db()
    assert (supplement.status, supplement.captured_cents) == (
        PaymentStatus.CAPTURED,
        HOURLY_CENTS,
    )
    assert supplement.invoices.count() == 1
    assert "Reste à payer" not in client.get(booking.get_absolute_url()).content.decode()


def test_the_manager_sees_what_is_left_to_pay(
    captured_booking, facilities_manager, django_capture_on_commit_callbacks
):
    booking, _fee = captured_booking
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(facilities_manager)

    page = client.get(booking.get_absolute_url()).content.decode()

    assert "Reste à payer : 15,00" in page
    assert "Payer la différence par carte" not in page


def test_a_lower_price_cancels_the_unpaid_supplement_before_refunding(
    captured_booking, facilities_manager, django_capture_on_commit_callbacks
):
    booking, fee = captured_booking
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)

    _lasting(booking, 1, facilities_manager, django_capture_on_commit_callbacks)

    assert _supplements(booking).get().status == PaymentStatus.RELEASED
    fee.refresh_from_db()
    assert (fee.captured_cents, fee.refunded_cents) == (2 * HOURLY_CENTS, HOURLY_CENTS)


def test_a_cancellation_refunds_the_fee_and_the_paid_supplement(
    captured_booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    booking, fee = captured_booking
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)
    supplement = _supplements(booking).get()
    with django_capture_on_commit_callbacks(execute=True):
        payment_pay(payment=supplement, actor=requester, payment_method="pm_card_visa")

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=requester, reason="Réunion annulée")

    fee.refresh_from_db()
    supplement.refresh_from_db()
    assert (fee.status, fee.refunded_cents) == (PaymentStatus.REFUNDED, 2 * HOURLY_CENTS)
    assert (supplement.status, supplement.refunded_cents) == (
        PaymentStatus.REFUNDED,
        HOURLY_CENTS,
    )


def test_a_change_awaiting_approval_asks_the_supplement_once_approved(
    captured_booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    booking, _fee = captured_booking
    _lasting(booking, 3, requester, django_capture_on_commit_callbacks)
    assert booking.status == "pending"  # the space has changes approved again
    assert not _supplements(booking).exists()

    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)

    assert _supplements(booking).get().amount_cents == HOURLY_CENTS


def test_cancelled_dates_take_off_the_unpaid_supplement_first(
    captured_booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    booking, fee = captured_booking
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)

    cut = supplement_reduce(booking=booking, by_cents=HOURLY_CENTS - 500, actor=requester)

    assert cut == HOURLY_CENTS - 500
    assert list(_supplements(booking).values_list("status", "amount_cents")) == [
        (PaymentStatus.REQUIRES_AUTHORISATION, 500)
    ]
    fee.refresh_from_db()
    assert fee.refunded_cents == 0


def test_a_change_heard_twice_asks_one_supplement(
    captured_booking, facilities_manager, django_capture_on_commit_callbacks
):
    booking, _fee = captured_booking
    before = booking.start.isoformat(), booking.end.isoformat(), booking.space_id
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)
    after = booking.start.isoformat(), booking.end.isoformat(), booking.space_id

    booking_changed.send(
        sender=Booking,
        booking_id=booking.pk,
        before=before,
        after=after,
        moved=True,
        actor_id=facilities_manager.pk,
        as_manager=True,
    )

    assert _supplements(booking).count() == 1
    assert OutboxMail.objects.filter(about__endswith="supplement").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_settlements_at_once_ask_one_supplement(
    stripe_api, priced_space, requester, collector, facilities_manager
):
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    booking_approve(booking=booking, actor=facilities_manager)  # captured on commit
    # The booking grows by an hour behind the payments' back (its change already committed).
    booking.occupancies.update(
        end=end + timedelta(hours=1), blocked_until=F("blocked_until") + timedelta(hours=1)
    )
    Booking.objects.filter(pk=booking.pk).update(end=end + timedelta(hours=1))
    barrier = threading.Barrier(2)

    def attempt(_: int) -> None:
        barrier.wait()
        try:
            booking_supplement_settle(booking=booking)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(attempt, range(2)))

    assert list(_supplements(booking).values_list("amount_cents", flat=True)) == [HOURLY_CENTS]


def test_another_structure_neither_sees_nor_pays_the_supplement(
    captured_booking, member, facilities_manager, django_capture_on_commit_callbacks
):
    booking, _fee = captured_booking
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)
    supplement = _supplements(booking).get()
    client = Client()
    client.force_login(member)

    seen = client.get(supplement.get_absolute_url())
    paid_attempt = client.post(
        reverse("payments:payment-pay", args=[supplement.pk]), {"payment_method": "pm_card_visa"}
    )
    listed = client.get(f"/api/v1/payments/?booking={booking.pk}")

    assert (seen.status_code, paid_attempt.status_code) == (404, 404)
    assert listed.json() == []
    supplement.refresh_from_db()
    assert supplement.status == PaymentStatus.REQUIRES_AUTHORISATION


def test_the_api_shows_the_amount_due(
    captured_booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    booking, _fee = captured_booking
    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(requester)

    rows = client.get(f"/api/v1/payments/?booking={booking.pk}").json()

    assert {(row["purpose"], row["status"], row["amount_cents"]) for row in rows} == {
        ("booking_fee", "captured", 2 * HOURLY_CENTS),
        ("supplement", "requires_authorisation", HOURLY_CENTS),
    }


# --- Public accountant ---


@pytest.fixture
def billed(priced_space, requester, facilities_manager, site):
    """A confirmed two-hour booking whose fee the public accountant collects."""
    PaymentChannel.objects.create(
        owner=site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING, finance_department="Finances"
    )
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    booking_approve(booking=booking, actor=facilities_manager)
    return booking


def _lines(booking):
    day = booking.start.date()
    return [
        (line.reference, line.amount_cents)
        for line in billing_lines(
            owner=booking.space.site.owner, first_day=day - timedelta(days=1), last_day=day
        )
    ]


def test_a_higher_price_adds_one_supplement_line_for_the_accountant(
    billed, facilities_manager, django_capture_on_commit_callbacks
):
    before = billed.start.isoformat(), billed.end.isoformat(), billed.space_id
    _lasting(billed, 3, facilities_manager, django_capture_on_commit_callbacks)
    after = billed.start.isoformat(), billed.end.isoformat(), billed.space_id
    booking_changed.send(  # heard twice: one line
        sender=Booking,
        booking_id=billed.pk,
        before=before,
        after=after,
        moved=True,
        actor_id=facilities_manager.pk,
        as_manager=True,
    )

    supplement = BillingSupplement.objects.get(booking=billed)
    assert _lines(billed) == [
        (f"RES-{billed.pk}", 2 * HOURLY_CENTS),
        (f"RES-{billed.pk}-C{supplement.pk}", HOURLY_CENTS),
    ]
    assert not Payment.objects.filter(booking=billed).exists()


def test_a_lower_price_cancels_the_accountants_supplement_line(
    billed, facilities_manager, django_capture_on_commit_callbacks
):
    _lasting(billed, 3, facilities_manager, django_capture_on_commit_callbacks)

    _lasting(billed, 2, facilities_manager, django_capture_on_commit_callbacks)

    assert BillingSupplement.objects.get(booking=billed).status == (
        BillingSupplementStatus.CANCELLED
    )
    assert _lines(billed) == [(f"RES-{billed.pk}", 2 * HOURLY_CENTS)]


def test_a_free_channel_asks_nothing(
    priced_space, requester, facilities_manager, site, django_capture_on_commit_callbacks
):
    PaymentChannel.objects.create(
        owner=site.owner, kind=ChannelKind.FREE, free_legal_basis="CG3P L2125-1-2"
    )
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    booking_approve(booking=booking, actor=facilities_manager)

    _lasting(booking, 3, facilities_manager, django_capture_on_commit_callbacks)

    assert not Payment.objects.filter(booking=booking).exists()
    assert not BillingSupplement.objects.filter(booking=booking).exists()
