"""Paying by card from the pages, pay links after a late decision, refunds in part, refunds of
cancelled dates — against localstripe over HTTP, through the Django test client."""

import io
import json
import urllib.request
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bookings.models import BookingStatus
from bookings.services import booking_approve, booking_cancel
from payments.models import ChannelKind, Payment, PaymentChannel, PaymentStatus, RefundStatus
from payments.services.cards import booking_payment_open, payment_pay, payment_start
from tests.factories import booking_request_for
from tests.payments.conftest import HOURLY_CENTS, SECRET_KEY, slot

TWO_HOURS = 2 * HOURLY_CENTS


@pytest.fixture
def booking(priced_space, requester, collector):
    start, end = slot()
    return booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)


def _stripe(url: str, path: str, data: dict | None = None) -> dict:
    """Talk to localstripe directly, as Stripe itself would act (a hold lapsing, say)."""
    body = urllib.parse.urlencode(data or {}).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{url}{path}",
        data=body,
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
        method="POST" if data is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.load(response)


# --- The booking page shows how to pay ---


def test_booking_page_offers_the_requester_to_authorise_the_card(client, booking, requester):
    client.force_login(requester)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Autoriser le paiement par carte" in page
    assert reverse("payments:booking-pay", args=[booking.pk]) in page


def test_booking_page_of_a_public_accountant_shows_the_payfip_link(client, booking, requester):
    PaymentChannel.objects.filter(owner=booking.space.site.owner).update(
        kind=ChannelKind.PUBLIC_ACCOUNTING,
        finance_department="Service finances de Denain",
        payfip_url="https://www.tipi.budget.gouv.fr/tpa/paiement.web?numcli=012345",
    )
    client.force_login(requester)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Service finances de Denain" in page
    assert "https://www.tipi.budget.gouv.fr/tpa/paiement.web?numcli=012345" in page
    assert reverse("payments:booking-pay", args=[booking.pk]) not in page


def test_booking_page_says_when_card_payment_is_not_set_up(client, booking, requester):
    PaymentChannel.objects.filter(owner=booking.space.site.owner).update(stripe_secret_key="")
    client.force_login(requester)
    page = client.get(booking.get_absolute_url()).content.decode()
    # No invoicing to fall back on: the fee is stated as not collected (payments.selectors
    # .fee_route_of), never shown as nothing to pay.
    assert "Aucun moyen de paiement n’est configuré pour" in page
    assert reverse("payments:booking-pay", args=[booking.pk]) not in page


# --- Paying from the payment page ---


def test_payment_page_loads_stripe_js_under_its_own_policy(client, stripe_api, booking, requester):
    client.force_login(requester)
    response = client.post(reverse("payments:booking-pay", args=[booking.pk]))
    payment = Payment.objects.get(booking=booking)
    assert response.url == payment.get_absolute_url()
    page = client.get(response.url)
    assert f'src="{stripe_api}/js.stripe.com/v3/"' in page.content.decode()
    policy = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' {stripe_api}" in policy
    assert "connect-src 'self' " in policy
    assert stripe_api in policy
    # Other pages keep the strict policy.
    other = client.get(booking.get_absolute_url()).headers["Content-Security-Policy"]
    assert stripe_api not in other


def test_pay_form_holds_the_card_until_the_decision(client, stripe_api, booking, requester):
    client.force_login(requester)
    payment = booking_payment_open(booking=booking, actor=requester)
    response = client.post(
        reverse("payments:payment-pay", args=[payment.pk]),
        {"payment_method": "pm_card_visa"},
        follow=True,
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    assert payment.hold_first is True
    assert "autorisée" in response.content.decode()
    assert _stripe(stripe_api, f"/v1/payment_intents/{payment.stripe_intent_id}")["status"] == (
        "requires_capture"
    )


def test_pay_form_with_a_forged_payment_method_changes_nothing(
    client, stripe_api, booking, requester
):
    client.force_login(requester)
    payment = booking_payment_open(booking=booking, actor=requester)
    response = client.post(
        reverse("payments:payment-pay", args=[payment.pk]),
        {"payment_method": "4242 4242 4242 4242"},
        follow=True,
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_AUTHORISATION
    assert payment.stripe_intent_id == ""
    assert "Les données de la carte n’ont pas atteint le service de paiement" in (
        response.content.decode()
    )


def test_pay_form_with_a_declined_card_offers_another_attempt(
    client, stripe_api, booking, requester
):
    client.force_login(requester)
    payment = booking_payment_open(booking=booking, actor=requester)
    response = client.post(
        reverse("payments:payment-pay", args=[payment.pk]),
        {"payment_method": "pm_card_chargeCustomerFail"},
        follow=True,
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert "refusée" in response.content.decode()
    retry = client.post(reverse("payments:payment-retry", args=[payment.pk]))
    again = Payment.objects.exclude(pk=payment.pk).get(booking=booking)
    assert retry.url == again.get_absolute_url()
    assert again.status == PaymentStatus.REQUIRES_AUTHORISATION
    assert again.amount_cents == payment.amount_cents


def test_another_organisation_cannot_see_or_pay_the_payment(
    client, stripe_api, booking, requester, member
):
    payment = booking_payment_open(booking=booking, actor=requester)
    client.force_login(member)
    assert client.get(payment.get_absolute_url()).status_code == 404
    response = client.post(
        reverse("payments:payment-pay", args=[payment.pk]), {"payment_method": "pm_card_visa"}
    )
    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_AUTHORISATION


def test_a_3d_secure_check_is_finished_in_the_browser_then_read_again(
    client, stripe_api, booking, requester
):
    method = _stripe(
        stripe_api,
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": "4000002760003184",  # localstripe asks 3-D Secure for this card
            "card[exp_month]": "12",
            "card[exp_year]": "2030",
            "card[cvc]": "123",
        },
    )
    client.force_login(requester)
    payment = booking_payment_open(booking=booking, actor=requester)
    client.post(
        reverse("payments:payment-pay", args=[payment.pk]), {"payment_method": method["id"]}
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_AUTHORISATION
    page = client.get(payment.get_absolute_url()).content.decode()
    secret = page.split('data-client-secret="')[1].split('"')[0]
    assert secret.startswith(payment.stripe_intent_id + "_secret")
    # What Stripe.js does once the holder confirms with their bank:
    urllib.request.urlopen(  # noqa: S310 (loopback)
        urllib.request.Request(  # noqa: S310
            f"{stripe_api}/v1/payment_intents/{payment.stripe_intent_id}/_authenticate"
            "?success=true",
            data=json.dumps({"key": "pk_test_x", "client_secret": secret}).encode(),
            method="POST",
        ),
        timeout=5,
    )
    client.post(reverse("payments:payment-refresh", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED


# --- A decision after the hold lapsed: a pay link, then the slot is kept for a while ---


def _hold_lapses_at_stripe(stripe_api: str, payment: Payment) -> None:
    """Stripe cancels an uncaptured authorisation after 7 days."""
    _stripe(stripe_api, f"/v1/payment_intents/{payment.stripe_intent_id}/cancel", {})


def test_approval_after_the_hold_lapsed_sends_a_pay_link(
    stripe_api, booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    held = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    _hold_lapses_at_stripe(stripe_api, held)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    held.refresh_from_db()
    assert held.status == PaymentStatus.RELEASED
    link = Payment.objects.exclude(pk=held.pk).get(booking=booking)
    assert link.status == PaymentStatus.REQUIRES_AUTHORISATION
    assert link.hold_first is False
    assert link.due_by is not None
    expected = timezone.now() + timedelta(hours=48)
    assert abs((link.due_by - expected).total_seconds()) < 60
    [message] = [m for m in mail.outbox if "Paiement à effectuer" in m.subject]
    assert link.get_absolute_url() in message.body
    # Paying the link charges the card at once.
    paid = payment_pay(payment=link, actor=requester, payment_method="pm_card_visa")
    assert paid.status == PaymentStatus.CAPTURED
    assert paid.captured_cents == TWO_HOURS


def test_approval_of_an_unpaid_request_sends_a_pay_link(
    stripe_api, booking, facilities_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    link = Payment.objects.get(booking=booking)
    assert link.due_by is not None
    assert link.hold_first is False


def test_an_unpaid_link_past_its_deadline_releases_the_slot(
    stripe_api, booking, facilities_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    link = Payment.objects.get(booking=booking)
    Payment.objects.filter(pk=link.pk).update(due_by=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_unpaid_payments", stdout=io.StringIO())
    link.refresh_from_db()
    booking.refresh_from_db()
    assert link.status == PaymentStatus.RELEASED
    assert booking.status == BookingStatus.CANCELLED
    assert not booking.occupancies.filter(active=True).exists()
    assert any("créneau libéré" in m.subject for m in mail.outbox)


def test_an_unpaid_link_past_its_deadline_tells_the_requester_once(
    stripe_api, booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    link = Payment.objects.get(booking=booking)
    Payment.objects.filter(pk=link.pk).update(due_by=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_unpaid_payments", stdout=io.StringIO())

    # Payments cancels the booking, which bookings reports back to payments: one story, told
    # once, by the app that knows why.
    assert len(mail.outbox) == 1
    [message] = mail.outbox
    assert message.to == [requester.email]
    assert "Paiement non reçu : créneau libéré" in message.subject
    assert "n’a pas été effectué avant sa date limite" in message.body
    assert "la réservation est donc annulée" in message.body


def test_a_link_paid_before_its_deadline_keeps_the_booking(
    stripe_api, booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    link = Payment.objects.get(booking=booking)
    payment_pay(payment=link, actor=requester, payment_method="pm_card_visa")
    Payment.objects.filter(pk=link.pk).update(due_by=timezone.now() - timedelta(minutes=1))
    call_command("expire_unpaid_payments", stdout=io.StringIO())
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_link_cannot_be_paid_after_its_deadline(
    stripe_api, booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    link = Payment.objects.get(booking=booking)
    Payment.objects.filter(pk=link.pk).update(due_by=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        payment_pay(payment=link, actor=requester, payment_method="pm_card_visa")
    link.refresh_from_db()
    assert link.stripe_intent_id == ""


# --- Refunds: in part from the page, and of cancelled dates ---


@pytest.fixture
def paid(stripe_api, booking, requester, facilities_manager, django_capture_on_commit_callbacks):
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    return payment


def test_manager_refunds_in_part_then_the_rest(client, paid, facilities_manager, stripe_api):
    client.force_login(facilities_manager)
    url = reverse("payments:payment-refund", args=[paid.pk])
    client.post(url, {"amount": "10,00", "reason": "Chauffage en panne"})
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.CAPTURED
    assert paid.refunded_cents == 1000
    client.post(url, {"amount": "20,00", "reason": "Salle inutilisable"})
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    assert paid.refunded_cents == TWO_HOURS
    assert [r.amount_cents for r in paid.refunds.filter(status=RefundStatus.SUCCEEDED)] == [
        1000,
        2000,
    ]
    intent = _stripe(stripe_api, f"/v1/payment_intents/{paid.stripe_intent_id}")
    assert intent["latest_charge"]["amount_refunded"] == TWO_HOURS


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"amount": "31,00", "reason": "Trop"}, "au plus 30,00 €"),
        ({"amount": "-5", "reason": "Négatif"}, "Montant à rembourser (€) :"),
        ({"amount": "abc", "reason": "Pas un nombre"}, "Montant à rembourser (€) :"),
        ({"amount": "5,00", "reason": ""}, "Motif :"),
    ],
)
def test_refund_with_bad_input_is_refused_and_nothing_changes(
    client, paid, facilities_manager, data, expected
):
    client.force_login(facilities_manager)
    response = client.post(reverse("payments:payment-refund", args=[paid.pk]), data, follow=True)
    paid.refresh_from_db()
    assert paid.refunded_cents == 0
    assert not paid.refunds.exists()
    messages = response.content.decode().split('class="messages"')[1].split("</ul>")[0]
    assert expected in messages.replace("\xa0", " ")


def test_the_payer_cannot_refund_themselves(client, paid, requester):
    client.force_login(requester)
    response = client.post(
        reverse("payments:payment-refund", args=[paid.pk]), {"amount": "30", "reason": "Moi"}
    )
    assert response.status_code == 404
    paid.refresh_from_db()
    assert paid.refunded_cents == 0


@pytest.fixture
def held_series(stripe_api, priced_space, requester, collector) -> Payment:
    """Three weekly dates requested, their fee held on the card."""
    start, end = slot(days=10)
    booking = booking_request_for(
        space=priced_space,
        requested_by=requester,
        start=start,
        end=end,
        frequency="weekly",
        repeat_count=3,
    )
    return payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")


def test_cancelling_one_date_of_a_series_refunds_that_date(
    held_series, requester, facilities_manager, django_capture_on_commit_callbacks
):
    payment, booking = held_series, held_series.booking
    assert payment.amount_cents == 3 * TWO_HOURS
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    second = booking.occupancies.order_by("start")[1]
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(
            booking=booking,
            actor=requester,
            reason="Formateur absent",
            occurrence_start=second.start,
        )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.refunded_cents == TWO_HOURS
    [refund] = payment.refunds.all()
    assert refund.amount_cents == TWO_HOURS
    assert "remboursée en totalité" in refund.reason


def test_dates_cancelled_before_approval_are_not_charged(
    held_series, requester, facilities_manager, django_capture_on_commit_callbacks
):
    payment, booking = held_series, held_series.booking
    last = booking.occupancies.order_by("start").last()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(
            booking=booking,
            actor=requester,
            reason="Plus besoin",
            occurrence_start=last.start,
        )
        booking_approve(booking=booking, actor=facilities_manager)
    payment.refresh_from_db()
    assert payment.captured_cents - payment.refunded_cents == 2 * TWO_HOURS


# --- The payments page ---


def test_payments_page_lists_what_to_pay_and_what_was_collected(
    client, paid, booking, requester, facilities_manager
):
    link = booking_payment_open(
        booking=booking_request_for(
            space=booking.space, requested_by=requester, start=slot(days=8)[0], end=slot(days=8)[1]
        ),
        actor=requester,
    )
    client.force_login(requester)
    page = client.get(reverse("payments:payment-list")).content.decode()
    to_pay = page.split("<h2>À payer</h2>")[1].split("<h2>")[0]
    assert link.get_absolute_url() in to_pay
    assert paid.get_absolute_url() not in to_pay
    assert paid.get_absolute_url() in page.split("<h2>Vos paiements</h2>")[1]

    client.force_login(facilities_manager)
    page = client.get(reverse("payments:payment-list")).content.decode()
    collected = page.split("<h2>Paiements encaissés</h2>")[1]
    assert paid.get_absolute_url() in collected
    assert link.get_absolute_url() in collected


def test_payments_page_queries_do_not_grow_with_the_payments(
    client, stripe_api, priced_space, requester, collector
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(requester)

    def open_payment(days: int) -> None:
        start, end = slot(days=days)
        booking = booking_request_for(
            space=priced_space, requested_by=requester, start=start, end=end
        )
        booking_payment_open(booking=booking, actor=requester)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("payments:payment-list")).status_code == 200
        return len(captured)

    open_payment(6)
    with_one = queries()
    for days in (7, 8, 9, 11, 12):
        open_payment(days)
    assert queries() == with_one
    assert with_one <= 12


def test_pay_form_while_stripe_is_unreachable_says_so_and_the_payment_waits(
    client, stripe_api, booking, requester, settings, stripe_unreachable
):
    client.force_login(requester)
    payment = booking_payment_open(booking=booking, actor=requester)

    response = client.post(
        reverse("payments:payment-pay", args=[payment.pk]),
        {"payment_method": "pm_card_visa"},
        follow=True,
    )

    payment.refresh_from_db()
    assert response.redirect_chain == [(payment.get_absolute_url(), 302)]
    assert "Le service de paiement est momentanément indisponible" in response.text
    assert (payment.status, payment.stripe_intent_id) == (PaymentStatus.REQUIRES_AUTHORISATION, "")
    assert not payment.log.filter(to_status=PaymentStatus.FAILED).exists()
    # Back online: the same payment is paid, no new attempt needed.
    settings.STRIPE_API_BASE = stripe_api
    client.post(
        reverse("payments:payment-pay", args=[payment.pk]), {"payment_method": "pm_card_visa"}
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    assert Payment.objects.filter(booking=booking).count() == 1
