"""A booking with a fee goes from request to paid to refunded through the API, against
localstripe over HTTP; bad input and other organisations change nothing."""

import pytest
from django.test import Client

from payments.models import Payment, PaymentStatus
from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory
from tests.payments.conftest import HOURLY_CENTS, slot

pytestmark = pytest.mark.usefixtures("stripe_api", "collector")


@pytest.fixture
def member_client(requester) -> Client:
    client = Client()
    client.force_login(requester)
    return client


@pytest.fixture
def manager_client(facilities_manager) -> Client:
    client = Client()
    client.force_login(facilities_manager)
    return client


def _request(client: Client, space, organisation) -> dict:
    start, end = slot(hours=2)
    response = client.post(
        "/api/v1/bookings/",
        {
            "space": space.pk,
            "organisation": organisation.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "purpose": "Assemblée générale",
            "attendees": 12,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_request_pay_approve_refund_through_the_api(
    member_client, manager_client, priced_space, association, django_capture_on_commit_callbacks
):
    booking = _request(member_client, priced_space, association)

    opened = member_client.post(
        f"/api/v1/bookings/{booking['id']}/payment/",
        {"payment_method": "pm_card_visa"},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    payment = opened.json()
    assert payment["status"] == PaymentStatus.AUTHORISED
    assert payment["amount_cents"] == 2 * HOURLY_CENTS
    assert payment["publishable_key"].startswith("pk_")
    assert "2 heures" in payment["price_rule"]

    with django_capture_on_commit_callbacks(execute=True):
        approved = manager_client.post(
            f"/api/v1/bookings/{booking['id']}/approve/", {}, content_type="application/json"
        )
    assert approved.status_code == 200
    paid = member_client.get(f"/api/v1/payments/{payment['id']}/").json()
    assert paid["status"] == PaymentStatus.CAPTURED
    assert paid["captured_cents"] == 2 * HOURLY_CENTS

    partial = manager_client.post(
        f"/api/v1/payments/{payment['id']}/refund/",
        {"amount_cents": 1000, "reason": "Chauffage en panne"},
        content_type="application/json",
    )
    assert partial.status_code == 201, partial.content
    assert partial.json()["refundable_cents"] == 2 * HOURLY_CENTS - 1000
    rest = manager_client.post(
        f"/api/v1/payments/{payment['id']}/refund/",
        {"reason": "Salle inutilisable"},
        content_type="application/json",
    )
    assert rest.status_code == 201
    assert rest.json()["status"] == PaymentStatus.REFUNDED
    again = manager_client.post(
        f"/api/v1/payments/{payment['id']}/refund/",
        {"reason": "Encore"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert [r["amount_cents"] for r in again.json()["payment"]["refunds"]] == [1000, 2000]


def test_a_declined_card_is_a_402_with_a_message_for_the_payer(
    member_client, priced_space, association
):
    booking = _request(member_client, priced_space, association)
    response = member_client.post(
        f"/api/v1/bookings/{booking['id']}/payment/",
        {"payment_method": "pm_card_chargeCustomerFail"},
        content_type="application/json",
    )
    assert response.status_code == 402
    assert "refusée" in response.json()["detail"]
    assert Payment.objects.get(booking=booking["id"]).status == PaymentStatus.FAILED


@pytest.mark.parametrize("method", ["", "4242424242424242", "pm_<script>", "x" * 300])
def test_a_malformed_payment_method_is_a_400_naming_the_field(
    member_client, priced_space, association, method
):
    booking = _request(member_client, priced_space, association)
    opened = member_client.post(
        f"/api/v1/bookings/{booking['id']}/payment/", {}, content_type="application/json"
    ).json()
    response = member_client.post(
        f"/api/v1/payments/{opened['id']}/pay/",
        {"payment_method": method},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "payment_method" in response.json()
    assert Payment.objects.get(pk=opened["id"]).stripe_intent_id == ""


def test_another_organisation_cannot_pay_see_or_refund(
    member_client, manager_client, priced_space, association
):
    booking = _request(member_client, priced_space, association)
    opened = member_client.post(
        f"/api/v1/bookings/{booking['id']}/payment/", {}, content_type="application/json"
    ).json()
    stranger = Client()
    stranger.force_login(
        MembershipFactory(
            organisation=VerifiedStructureFactory(name="Autre asso"),
            user=UserFactory(email="autre@example.test"),
        ).user
    )
    assert stranger.get(f"/api/v1/payments/{opened['id']}/").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/payments/{opened['id']}/pay/",
            {"payment_method": "pm_card_visa"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        stranger.post(
            f"/api/v1/bookings/{booking['id']}/payment/", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert stranger.get("/api/v1/payments/").json() == []
    # The payer cannot refund themselves either.
    assert (
        member_client.post(
            f"/api/v1/payments/{opened['id']}/refund/",
            {"reason": "Moi"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert Payment.objects.get(pk=opened["id"]).status == PaymentStatus.REQUIRES_AUTHORISATION


def test_a_refund_of_more_than_was_paid_is_a_400_and_nothing_changes(
    member_client, manager_client, priced_space, association, django_capture_on_commit_callbacks
):
    booking = _request(member_client, priced_space, association)
    payment = member_client.post(
        f"/api/v1/bookings/{booking['id']}/payment/",
        {"payment_method": "pm_card_visa"},
        content_type="application/json",
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            f"/api/v1/bookings/{booking['id']}/approve/", {}, content_type="application/json"
        )
    response = manager_client.post(
        f"/api/v1/payments/{payment['id']}/refund/",
        {"amount_cents": 2 * HOURLY_CENTS + 1, "reason": "Trop"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not Payment.objects.get(pk=payment["id"]).refunds.exists()


def test_deposit_held_then_kept_in_part_through_the_api(
    member_client, manager_client, priced_space, association, django_capture_on_commit_callbacks
):
    priced_space.deposit_cents = 20000
    priced_space.save(update_fields=["deposit_cents"])
    start, end = slot(days=2)
    booking = member_client.post(
        "/api/v1/bookings/",
        {
            "space": priced_space.pk,
            "organisation": association.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "purpose": "Fête de quartier",
            "attendees": 12,
        },
        content_type="application/json",
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            f"/api/v1/bookings/{booking['id']}/approve/", {}, content_type="application/json"
        )

    held = member_client.post(
        f"/api/v1/bookings/{booking['id']}/deposit/",
        {"payment_method": "pm_card_visa"},
        content_type="application/json",
    )
    assert held.status_code == 201, held.content
    deposit = held.json()
    assert (deposit["purpose"], deposit["status"]) == ("deposit", PaymentStatus.AUTHORISED)
    assert deposit["amount_cents"] == 20000

    # The payer cannot keep their own deposit; a manager keeps part of it, with a reason.
    assert (
        member_client.post(
            f"/api/v1/payments/{deposit['id']}/deposit/keep/",
            {"amount_cents": 5000, "reason": "Moi"},
            content_type="application/json",
        ).status_code
        == 404
    )
    missing_reason = manager_client.post(
        f"/api/v1/payments/{deposit['id']}/deposit/keep/",
        {"amount_cents": 5000, "reason": ""},
        content_type="application/json",
    )
    assert missing_reason.status_code == 400
    assert "reason" in missing_reason.json()
    kept = manager_client.post(
        f"/api/v1/payments/{deposit['id']}/deposit/keep/",
        {"amount_cents": 5000, "reason": "Vitre cassée"},
        content_type="application/json",
    )
    assert kept.status_code == 200, kept.content
    assert (kept.json()["status"], kept.json()["captured_cents"]) == (
        PaymentStatus.CAPTURED,
        5000,
    )
    assert kept.json()["log"][-1]["reason"] == "Vitre cassée"


def test_stripe_unreachable_is_a_503_not_a_402_and_nothing_is_half_saved(
    member_client, priced_space, association, stripe_api, settings, stripe_unreachable
):
    booking = _request(member_client, priced_space, association)
    settings.STRIPE_API_BASE = stripe_unreachable

    response = member_client.post(
        f"/api/v1/bookings/{booking['id']}/payment/",
        {"payment_method": "pm_card_visa"},
        content_type="application/json",
    )

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "momentanément indisponible" in response.json()["detail"]
    [payment] = Payment.objects.filter(booking=booking["id"])
    assert (payment.status, payment.stripe_intent_id) == (PaymentStatus.REQUIRES_AUTHORISATION, "")
    assert not payment.log.filter(to_status=PaymentStatus.FAILED).exists()
    settings.STRIPE_API_BASE = stripe_api
    again = member_client.post(
        f"/api/v1/bookings/{booking['id']}/payment/",
        {"payment_method": "pm_card_visa"},
        content_type="application/json",
    )
    assert again.status_code in (200, 201), again.content
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
