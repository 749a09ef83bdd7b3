"""A fee is never forgotten: one rule (payments.selectors.fee_channel_for) says who collects a
space's fees and which way — card, invoice (the public accountant, or the fallback of a card
channel without its keys), free, or nothing set up, which is said plainly to both sides."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bookings.services import booking_approve
from payments.models import ChannelKind, PaymentChannel
from payments.selectors import FeeRouteKind, accounting_owners_for, fee_channel_for
from payments.services.deposits import deposit_open
from tests.factories import MembershipFactory, StructureFactory, UserFactory, booking_request_for
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

PARIS = ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _card(owner, **fields) -> PaymentChannel:
    values = {
        "stripe_publishable_key": PUBLISHABLE_KEY,
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        **fields,
    }
    return PaymentChannel.objects.create(owner=owner, kind=ChannelKind.STRIPE, **values)


@pytest.fixture
def scic(site):
    """A SCIC runs the building: it collects its fees (collecting_organisation)."""
    scic = StructureFactory(name="SCIC Les Forges", ess_family="scic")
    site.managing_organisation = scic
    site.save(update_fields=["managing_organisation"])
    return scic


@pytest.fixture
def booking(priced_space, requester, facilities_manager):
    """2 hours at 15 €: 30 €, approved."""
    booking = booking_request_for(
        space=priced_space,
        requested_by=requester,
        start=datetime(2027, 1, 12, 18, tzinfo=PARIS),
        end=datetime(2027, 1, 12, 20, tzinfo=PARIS),
    )
    booking_approve(booking=booking, actor=facilities_manager)
    booking.refresh_from_db()
    return booking


# --- The rule ---


def test_a_card_channel_with_its_keys_takes_cards(space, scic):
    _card(scic)

    route = fee_channel_for(space)

    assert (route.collector, route.kind, route.card_unusable) == (scic, FeeRouteKind.CARD, False)


def test_a_card_channel_without_keys_falls_back_to_invoicing(space, scic):
    _card(scic, stripe_secret_key="", finance_department="Comptabilité de la SCIC")

    route = fee_channel_for(space)

    assert (route.kind, route.is_fallback) == (FeeRouteKind.INVOICE, True)


def test_a_deactivated_card_channel_falls_back_to_invoicing_too(space, scic):
    _card(scic, is_active=False, finance_department="Comptabilité de la SCIC")

    assert fee_channel_for(space).kind == FeeRouteKind.INVOICE


def test_a_card_channel_without_keys_nor_invoicing_collects_nothing(space, scic):
    _card(scic, stripe_secret_key="")

    route = fee_channel_for(space)

    assert (route.collector, route.kind, route.card_unusable) == (scic, FeeRouteKind.NONE, True)


def test_no_channel_or_a_deactivated_one_collects_nothing(space, site):
    assert fee_channel_for(space).kind == FeeRouteKind.NONE
    PaymentChannel.objects.create(
        owner=site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING, is_active=False
    )
    assert fee_channel_for(space).kind == FeeRouteKind.NONE


# --- What people see ---


def test_without_keys_the_fee_is_stated_to_the_requester_and_the_manager(
    client, booking, requester, facilities_manager, scic
):
    _card(scic, stripe_secret_key="")
    statement = (
        "Aucun moyen de paiement n’est configuré pour SCIC Les Forges\u00a0: les 30,00 € "
        "ne seront pas encaissés par la plateforme\u00a0; à régler directement auprès de "
        "SCIC Les Forges."
    )
    for user in (requester, facilities_manager):
        client.force_login(user)
        page = client.get(booking.get_absolute_url()).content.decode()
        assert statement in page
        assert "Rien à payer" not in page
        assert reverse("payments:booking-pay", args=[booking.pk]) not in page


def test_the_fallback_invoice_is_shown_and_billed(client, booking, requester, scic):
    _card(scic, stripe_secret_key="", finance_department="Comptabilité de la SCIC")
    scic_member = MembershipFactory(organisation=scic, user=UserFactory(email="c@scic.test")).user
    client.force_login(requester)

    page = client.get(booking.get_absolute_url()).content.decode()

    assert "Le paiement par carte n’est pas configuré pour SCIC Les Forges" in page
    assert "Cette redevance de 30,00 € est facturée" in page
    assert "Comptabilité de la SCIC" in page
    assert scic in accounting_owners_for(scic_member)
    client.force_login(scic_member)
    response = client.get(
        reverse("reports:accounting-csv", args=[scic.pk]) + "?debut=2027-01-01&fin=2027-01-31"
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8")[1:]
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [row["reference_reservation"] for row in rows] == [f"RES-{booking.pk}"]


def test_a_card_channel_that_takes_cards_is_not_in_the_billing_export(site, scic, territory_admin):
    _card(scic, finance_department="Comptabilité de la SCIC")

    assert scic not in accounting_owners_for(territory_admin)


def test_placing_a_deposit_without_card_says_what_to_do(booking, requester, scic, priced_space):
    _card(scic, stripe_secret_key="")
    priced_space.deposit_cents = 20_000
    priced_space.save(update_fields=["deposit_cents"])

    with pytest.raises(ValidationError) as refusal:
        deposit_open(booking=booking, actor=requester, now=datetime(2027, 1, 10, tzinfo=PARIS))

    message = " ".join(refusal.value.messages)
    assert "clés manquent" not in message
    assert "SCIC Les Forges" in message
    assert "chèque" in message


def test_the_deposit_panel_offers_the_cheque_and_the_channel_page(
    client, booking, requester, scic, priced_space, territory_admin
):
    """The requester is told to pay by cheque; who may set up the SCIC's channel (here the
    intercommunality) gets the link to its page."""
    _card(scic, stripe_secret_key="")
    priced_space.deposit_cents = 20_000
    priced_space.save(update_fields=["deposit_cents"])

    client.force_login(requester)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "chèque" in page
    assert reverse("payments:deposit-place", args=[booking.pk]) not in page
    assert reverse("payments:channel-edit", args=[scic.pk]) not in page
    client.force_login(territory_admin)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert reverse("payments:channel-edit", args=[scic.pk]) in page
