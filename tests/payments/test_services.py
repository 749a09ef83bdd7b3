"""Tariffs, channels and card payments of bookings, against localstripe over HTTP."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections

from accounts.actors import PLATFORM
from bookings.services import booking_approve, booking_cancel, booking_refuse
from payments import selectors
from payments.exceptions import PaymentFailed
from payments.models import ChannelKind, Payment, PaymentStatus, Tariff
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.cards import payment_capture, payment_start
from payments.services.refunds import payment_refund
from payments.services.tariffs import channel_set, tariff_set
from tests.factories import booking_request_for
from tests.payments.conftest import HOURLY_CENTS, slot

# --- Bad input: clear errors, nothing saved ---


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_cents": -100}, "amount_cents"),
        ({"amount_cents": 10_000_001}, "amount_cents"),
        ({"currency": "USD"}, "currency"),
        ({"category": "club"}, "category"),
        ({"unit": "week"}, "unit"),
    ],
)
def test_tariff_set_rejects_bad_input(space, territory_admin, fields, field):
    values = {
        "category": OrganisationCategory.ASSOCIATION,
        "unit": TariffUnit.HOUR,
        "amount_cents": 1000,
        **fields,
    }

    with pytest.raises(ValidationError) as error:
        tariff_set(space=space, actor=territory_admin, **values)

    assert list(error.value.message_dict) == [field]
    assert not Tariff.objects.exists()


def test_tariff_set_changes_the_existing_tariff(priced_space, territory_admin):
    tariff_set(
        space=priced_space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.HOUR,
        amount_cents=900,
        actor=territory_admin,
    )

    assert list(Tariff.objects.values_list("amount_cents", flat=True)) == [900]


def test_channel_set_free_requires_a_legal_basis(site, territory_admin):
    with pytest.raises(ValidationError) as error:
        channel_set(owner=site.owner, kind=ChannelKind.FREE, actor=territory_admin)

    assert "free_legal_basis" in error.value.message_dict


def test_channel_set_public_accounting_keeps_the_payfip_link(site, territory_admin):
    channel = channel_set(
        owner=site.owner,
        kind=ChannelKind.PUBLIC_ACCOUNTING,
        actor=territory_admin,
        finance_department="Service finances de Denain",
        payfip_url="https://www.tipi.budget.gouv.fr/tpa/paiement.web?numcli=012345",
    )

    assert channel.payfip_url.startswith("https://")


def test_price_quote_uses_the_requesters_category(priced_space, requester):
    start, end = slot(hours=3)
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)

    quote = selectors.booking_quote(booking=booking)

    assert quote.amount_cents == 3 * HOURLY_CENTS
    assert "Association" in quote.rule


# --- Card payments ---


@pytest.fixture
def booking(priced_space, requester, collector):
    start, end = slot()
    return booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)


def test_payment_start_authorises_the_card(stripe_api, booking, requester):
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")

    assert (payment.status, payment.amount_cents) == (PaymentStatus.AUTHORISED, 2 * HOURLY_CENTS)
    assert payment.stripe_intent_id.startswith("pi_")


def test_booking_approval_captures_the_payment(
    stripe_api,
    booking,
    requester,
    facilities_manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")

    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert [mail.to for mail in mailoutbox if "Paiement reçu" in mail.subject] == [
        [requester.email]
    ]


def test_booking_refusal_releases_the_card(
    stripe_api, booking, requester, facilities_manager, django_capture_on_commit_callbacks
):
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")

    with django_capture_on_commit_callbacks(execute=True):
        booking_refuse(booking=booking, actor=facilities_manager, reason="Salle en travaux")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RELEASED


def test_payment_start_with_a_declined_card_fails_cleanly(stripe_api, booking, requester):
    with pytest.raises(PaymentFailed) as error:
        payment_start(booking=booking, actor=requester, payment_method="pm_card_chargeCustomerFail")

    payment = Payment.objects.get()
    assert payment.failure_message == error.value.message
    assert (payment.status, payment.stripe_intent_id) == (PaymentStatus.FAILED, "")
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_payment_start_after_a_declined_card_accepts_another_card(stripe_api, booking, requester):
    with pytest.raises(PaymentFailed):
        payment_start(booking=booking, actor=requester, payment_method="pm_card_chargeCustomerFail")

    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")

    assert payment.status == PaymentStatus.AUTHORISED


def test_payment_start_refuses_another_organisations_booking(stripe_api, booking, member):
    with pytest.raises(PermissionDenied):
        payment_start(booking=booking, actor=member, payment_method="pm_card_visa")

    assert not Payment.objects.exists()


def test_payment_start_without_keys_says_card_payment_is_unavailable(booking, requester, collector):
    collector.stripe_secret_key = ""
    collector.save()

    with pytest.raises(ValidationError):
        payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")

    assert not Payment.objects.exists()


def test_payment_start_on_a_free_booking_is_refused(space, requester, collector, territory_admin):
    tariff_set(
        space=space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.DAY,
        amount_cents=0,
        actor=territory_admin,
    )
    start, end = slot()
    booking = booking_request_for(space=space, requested_by=requester, start=start, end=end)

    with pytest.raises(ValidationError):
        payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")


def test_booking_cancellation_after_capture_refunds(
    stripe_api,
    booking,
    requester,
    facilities_manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=requester, reason="Réunion annulée")

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_cents) == (PaymentStatus.REFUNDED, 2 * HOURLY_CENTS)
    assert sum("Paiement remboursé" in mail.subject for mail in mailoutbox) == 1


def test_payment_refund_twice_refunds_once(stripe_api, booking, requester, facilities_manager):
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    booking_approve(booking=booking, actor=facilities_manager)
    payment_capture(actor=PLATFORM, payment=payment)

    assert payment_refund(payment=payment, actor=facilities_manager, reason="Geste") is not None
    assert payment_refund(payment=payment, actor=facilities_manager, reason="Geste") is None


@pytest.mark.django_db(transaction=True)
def test_two_managers_refunding_at_once_refund_once(
    stripe_api, priced_space, requester, collector, facilities_manager, territory_admin
):
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    booking_approve(booking=booking, actor=facilities_manager)  # capture runs on commit
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    barrier = threading.Barrier(2)

    def attempt(manager) -> bool:
        barrier.wait()
        try:
            return payment_refund(payment=payment, actor=manager, reason="Geste") is not None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(attempt, [facilities_manager, territory_admin]))

    assert sorted(results) == [False, True]
    assert payment.log.filter(to_status=PaymentStatus.REFUNDED).count() == 1
    assert _refunds_in_localstripe(stripe_api, payment.stripe_intent_id) == 1


def _refunds_in_localstripe(url: str, intent_id: str) -> int:
    import json
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{url}/v1/refunds?payment_intent={intent_id}",
        headers={"Authorization": "Bearer sk_test_locaux_communs"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return len(json.load(response)["data"])
