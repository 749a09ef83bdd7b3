"""Deposits held on the card: placed shortly before a confirmed booking, released after it or
when it is cancelled, kept in part with a reason — against localstripe over HTTP."""

import io
import json
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from bookings.services import booking_approve, booking_cancel
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.selectors import (
    DEPOSIT_HOLD_DAYS_BEFORE,
    DEPOSIT_RELEASE_HOURS,
    deposit_panel_of,
)
from payments.services.cards import payment_pay
from payments.services.deposits import deposit_keep, deposit_open, deposit_release
from payments.views.deposits import deposit_manage_context
from tests.factories import booking_request_for
from tests.payments.conftest import SECRET_KEY, slot

DEPOSIT_CENTS = 20_000  # 200 €
KEPT_CENTS = 5_000


def _intent(url: str, intent_id: str) -> dict:
    """The PaymentIntent as localstripe holds it."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{url}/v1/payment_intents/{intent_id}",
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.load(response)


def _subjects(mailoutbox) -> list[str]:
    return [message.subject for message in mailoutbox]


@pytest.fixture
def deposit_space(space, collector):
    """A free space (no fee) that asks for a 200 € deposit, in a building taking cards."""
    space.deposit_cents = DEPOSIT_CENTS
    space.save(update_fields=["deposit_cents"])
    return space


def _confirmed_booking(space, requester, approver, capture, *, days: int = 2):
    start, end = slot(days=days)
    booking = booking_request_for(space=space, requested_by=requester, start=start, end=end)
    with capture(execute=True):
        booking_approve(booking=booking, actor=approver)
    booking.refresh_from_db()
    return booking


@pytest.fixture
def booking(deposit_space, requester, facilities_manager, django_capture_on_commit_callbacks):
    return _confirmed_booking(
        deposit_space, requester, facilities_manager, django_capture_on_commit_callbacks
    )


@pytest.fixture
def held(stripe_api, booking, requester, django_capture_on_commit_callbacks):
    """The deposit placed and held on the card."""
    with django_capture_on_commit_callbacks(execute=True):
        return payment_pay(
            payment=deposit_open(booking=booking, actor=requester),
            actor=requester,
            payment_method="pm_card_visa",
        )


# --- Placing the deposit ---


def test_deposit_hold_is_authorised_and_nothing_is_captured(held, stripe_api, mailoutbox):
    assert (held.purpose, held.status) == (PaymentPurpose.DEPOSIT, PaymentStatus.AUTHORISED)
    assert (held.amount_cents, held.captured_cents, held.hold_first) == (DEPOSIT_CENTS, 0, True)
    assert _intent(stripe_api, held.stripe_intent_id)["status"] == "requires_capture"
    assert any("Caution bloquée sur votre carte" in subject for subject in _subjects(mailoutbox))


def test_deposit_open_more_than_6_days_before_is_refused(
    deposit_space, requester, facilities_manager, django_capture_on_commit_callbacks
):
    booking = _confirmed_booking(
        deposit_space,
        requester,
        facilities_manager,
        django_capture_on_commit_callbacks,
        days=DEPOSIT_HOLD_DAYS_BEFORE + 4,
    )

    with pytest.raises(ValidationError) as error:
        deposit_open(booking=booking, actor=requester)

    assert f"{DEPOSIT_HOLD_DAYS_BEFORE} jours avant la réservation" in error.value.messages[0]
    assert not Payment.objects.exists()


def test_deposit_open_refuses_another_organisations_booking(booking, member):
    with pytest.raises(PermissionDenied):
        deposit_open(booking=booking, actor=member)

    assert not Payment.objects.exists()


def test_deposit_open_is_refused_when_the_space_asks_for_none(booking, requester):
    booking.space.deposit_cents = 0
    booking.space.save(update_fields=["deposit_cents"])

    with pytest.raises(ValidationError):
        deposit_open(booking=booking, actor=requester)

    assert not Payment.objects.exists()


def test_deposit_open_twice_returns_the_same_deposit(booking, requester):
    first = deposit_open(booking=booking, actor=requester)

    assert deposit_open(booking=booking, actor=requester) == first


# --- Releasing it ---


def test_release_deposits_releases_the_hold_after_the_damage_window(
    held, booking, stripe_api, mailoutbox, django_capture_on_commit_callbacks
):
    after = booking.end + timedelta(hours=DEPOSIT_RELEASE_HOURS, minutes=5)

    with time_machine.travel(after, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("release_deposits", stdout=io.StringIO())

    held.refresh_from_db()
    assert held.status == PaymentStatus.RELEASED
    assert _intent(stripe_api, held.stripe_intent_id)["status"] == "canceled"
    assert any("Caution libérée" in subject for subject in _subjects(mailoutbox))


def test_release_deposits_keeps_the_hold_during_the_damage_window(held, booking):
    during = booking.end + timedelta(hours=DEPOSIT_RELEASE_HOURS - 1)

    with time_machine.travel(during, tick=False):
        call_command("release_deposits", stdout=io.StringIO())

    held.refresh_from_db()
    assert held.status == PaymentStatus.AUTHORISED


def test_booking_cancellation_releases_the_deposit_hold(
    held, booking, commune_staff, stripe_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=commune_staff, reason="Salle inondée")

    held.refresh_from_db()
    assert held.status == PaymentStatus.RELEASED
    assert _intent(stripe_api, held.stripe_intent_id)["status"] == "canceled"


def test_deposit_release_by_a_manager_logs_the_reason(held, commune_staff):
    deposit_release(payment=held, actor=commune_staff, reason="Clés rendues, salle en état")

    held.refresh_from_db()
    assert held.status == PaymentStatus.RELEASED
    assert held.log.last().reason == "Clés rendues, salle en état"


# --- Keeping it ---


def test_deposit_keep_in_part_captures_that_part_with_the_reason(
    held, commune_staff, stripe_api, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        kept = deposit_keep(
            payment=held, actor=commune_staff, amount_cents=KEPT_CENTS, reason="Clé perdue"
        )

    assert (kept.status, kept.captured_cents) == (PaymentStatus.CAPTURED, KEPT_CENTS)
    assert kept.log.last().reason == "Clé perdue"
    assert _intent(stripe_api, held.stripe_intent_id)["status"] == "succeeded"
    subjects = _subjects(mailoutbox)
    assert sum("Caution retenue" in subject for subject in subjects) == 1
    assert not any("Paiement reçu" in subject for subject in subjects)
    kept_mail = next(m for m in mailoutbox if "retenu" in m.subject)
    assert "Clé perdue" in kept_mail.body


@pytest.mark.parametrize(
    ("amount_cents", "reason", "field"),
    [
        (KEPT_CENTS, "  ", "reason"),
        (DEPOSIT_CENTS + 1, "Vitre cassée", "amount"),
        (0, "Vitre cassée", "amount"),
    ],
)
def test_deposit_keep_rejects_bad_input_and_changes_nothing(
    held, commune_staff, stripe_api, amount_cents, reason, field
):
    with pytest.raises(ValidationError) as error:
        deposit_keep(payment=held, actor=commune_staff, amount_cents=amount_cents, reason=reason)

    assert list(error.value.message_dict) == [field]
    held.refresh_from_db()
    assert (held.status, held.captured_cents) == (PaymentStatus.AUTHORISED, 0)
    assert _intent(stripe_api, held.stripe_intent_id)["status"] == "requires_capture"


def test_deposit_keep_by_the_requester_is_refused(held, requester):
    with pytest.raises(PermissionDenied):
        deposit_keep(payment=held, actor=requester, amount_cents=KEPT_CENTS, reason="Clé perdue")

    held.refresh_from_db()
    assert held.status == PaymentStatus.AUTHORISED


def test_deposit_keep_of_a_released_deposit_is_refused(held, commune_staff):
    deposit_release(payment=held, actor=commune_staff)

    with pytest.raises(ValidationError):
        deposit_keep(payment=held, actor=commune_staff, amount_cents=KEPT_CENTS, reason="Clé")

    held.refresh_from_db()
    assert (held.status, held.captured_cents) == (PaymentStatus.RELEASED, 0)


# --- Pages ---


def test_requester_places_the_deposit_from_the_booking_and_lands_on_its_page(
    client, booking, requester
):
    client.force_login(requester)

    response = client.post(reverse("payments:deposit-place", args=[booking.pk]))

    deposit = Payment.objects.get(purpose=PaymentPurpose.DEPOSIT)
    assert response.status_code == 302
    assert response["Location"] == deposit.get_absolute_url()


def test_deposit_place_by_an_outsider_is_not_found(client, booking, member):
    client.force_login(member)

    response = client.post(reverse("payments:deposit-place", args=[booking.pk]))

    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_manager_keeps_part_of_the_deposit_from_the_payment_page(
    client, held, commune_staff, stripe_api, django_capture_on_commit_callbacks
):
    client.force_login(commune_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payments:deposit-keep", args=[held.pk]),
            {"amount": "50,00", "reason": "Tache sur la moquette"},
        )

    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.status, held.captured_cents) == (PaymentStatus.CAPTURED, KEPT_CENTS)


def test_keep_form_above_the_hold_shows_the_error_on_the_field(client, held, commune_staff):
    client.force_login(commune_staff)

    response = client.post(
        reverse("payments:deposit-keep", args=[held.pk]),
        {"amount": "250.00", "reason": "Vitre cassée"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert (
        'aria-describedby="id_deposit_keep_amount_helptext id_deposit_keep_amount_errors"' in page
    )
    assert 'id="id_deposit_keep_amount_errors"' in page
    assert 'id="id_deposit_keep_amount_helptext"' in page
    held.refresh_from_db()
    assert held.status == PaymentStatus.AUTHORISED


def test_deposit_keep_by_the_requester_from_the_page_is_not_found(client, held, requester):
    client.force_login(requester)

    response = client.post(
        reverse("payments:deposit-keep", args=[held.pk]),
        {"amount": "50", "reason": "Essai"},
    )

    assert response.status_code == 404
    held.refresh_from_db()
    assert held.status == PaymentStatus.AUTHORISED


def test_manager_releases_the_deposit_from_the_payment_page(client, held, commune_staff):
    client.force_login(commune_staff)

    response = client.post(reverse("payments:deposit-release", args=[held.pk]), {"reason": ""})

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == PaymentStatus.RELEASED


def test_deposit_partial_offers_the_button_to_the_requester(booking, requester):
    html = render_to_string(
        "payments/_deposit.html",
        {"booking": booking, "deposit_panel": deposit_panel_of(booking=booking, user=requester)},
    )

    assert reverse("payments:deposit-place", args=[booking.pk]) in html


def test_deposit_partial_shows_no_button_to_another_organisation(booking, member):
    html = render_to_string(
        "payments/_deposit.html",
        {"booking": booking, "deposit_panel": deposit_panel_of(booking=booking, user=member)},
    )

    assert reverse("payments:deposit-place", args=[booking.pk]) not in html


def test_deposit_manage_partial_gives_the_forms_to_managers_only(held, commune_staff, requester):
    request = RequestFactory().get("/")
    request.user = requester
    assert deposit_manage_context(request, held) == {}

    request.user = commune_staff
    html = render_to_string(
        "payments/_deposit_manage.html", {"payment": held, **deposit_manage_context(request, held)}
    )

    assert reverse("payments:deposit-keep", args=[held.pk]) in html
    assert "<legend>" in html
