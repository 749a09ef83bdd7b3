"""Every step of a payment is told to the payer, through a real SMTP server, against localstripe:
a payment due (with its deadline), received (the receipt), refunded (the amount, when it
reaches the card), a deposit held, released or kept (the reason), a pay link expired (the slot
released), and a fee collected by the public accountant (a payment notice will come, how to pay
it). The building's manager answers; the other members and strangers hear nothing; a payer
who reads English gets English."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import MembershipRole
from bookings.services import booking_approve, booking_cancel
from payments.models import ChannelKind, Payment, PaymentChannel
from payments.services.agreements import agreement_payment_requests_issue
from payments.services.cards import booking_fees_expire_unpaid, payment_start
from payments.services.deposits import deposit_keep, deposit_open, deposit_release
from payments.services.refunds import payment_refund
from spaces.models import SpaceKind
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    UserFactory,
    agreement_signed,
    booking_request_for,
)
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, slot
from tests.stack.smtp import text_of

PAYFIP = "https://www.payfip.gouv.fr/tpa/accueil.web?numcli=012345"


@pytest.fixture
def others(association):
    """Another member of the association (not the one who booked) and a stranger."""
    MembershipFactory(
        organisation=association,
        user=UserFactory(email="tresorier@example.test"),
        role=MembershipRole.MEMBER,
    )
    return UserFactory(email="outsider@example.test")


@pytest.fixture
def booking(priced_space, requester, collector, facilities_manager, others):
    start, end = slot()
    return booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)


def _approve(booking, manager, capture):
    with capture(execute=True):
        booking_approve(booking=booking, actor=manager)


def _payment_messages(inbox, address: str) -> list:
    """What `address` got about payments (the booking's own messages left aside)."""
    return [
        message
        for message in inbox.deliver().to(address)
        if "Réservation" not in message["Subject"].split("—")[0]
        and "Booking" not in message["Subject"].split("—")[0]
    ]


def _nobody_else(inbox) -> None:
    for address in ("tresorier@example.test", "outsider@example.test"):
        assert inbox.to(address) == []


def test_a_payment_received_sends_the_receipt_to_the_member_who_booked(
    smtp_inbox,
    stripe_api,
    booking,
    requester,
    facilities_manager,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    smtp_inbox.deliver()
    smtp_inbox.clear()

    _approve(booking, facilities_manager, django_capture_on_commit_callbacks)

    [message] = _payment_messages(smtp_inbox, "asso@example.test")
    assert message["Subject"].strip() == (
        f"[Locaux Communs] Paiement reçu — Réservation n° {booking.pk} — Salle Usinor"
    )
    text = text_of(message)
    assert "Nous avons bien reçu votre paiement." in text
    assert "Montant payé : 30,00 €" in text
    assert "Votre reçu et votre facture" in text
    assert f"http://127.0.0.1:8123{payment.get_absolute_url()}" in text
    assert message["Reply-To"] == "manager@example.test"
    _nobody_else(smtp_inbox)


def test_a_payer_who_reads_english_gets_the_receipt_in_english(
    smtp_inbox,
    stripe_api,
    booking,
    requester,
    facilities_manager,
    django_capture_on_commit_callbacks,
):
    requester.language = "en"
    requester.save(update_fields=["language"])
    payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")

    _approve(booking, facilities_manager, django_capture_on_commit_callbacks)

    [message] = [
        m
        for m in smtp_inbox.deliver().to("asso@example.test")
        if "Payment received" in m["Subject"]
    ]
    assert "Amount paid: 30.00 €" in text_of(message)
    assert "Your receipt and your invoice" in text_of(message)


def test_a_payment_due_names_the_amount_the_deadline_and_what_happens_without_it(
    smtp_inbox, stripe_api, booking, facilities_manager, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now().replace(hour=9, minute=0), tick=False):
        _approve(booking, facilities_manager, django_capture_on_commit_callbacks)
        link = Payment.objects.get(booking=booking)
        deadline = timezone.localtime(link.due_by)

    [message] = [
        m
        for m in smtp_inbox.deliver().to("asso@example.test")
        if "Paiement à effectuer" in m["Subject"]
    ]
    text = text_of(message)
    assert "Montant : 30,00 €" in text
    assert f"À payer avant le : {_french_day(deadline)} à {deadline:%H:%M}" in text
    assert "payer en ligne par carte bancaire sur la page du paiement avant cette date" in text
    assert "la réservation est annulée et le créneau proposé à d'autres" in text
    assert message["Reply-To"] == "manager@example.test"
    _nobody_else(smtp_inbox)


def test_a_pay_link_past_its_deadline_tells_the_payer_the_slot_is_released(
    smtp_inbox, stripe_api, booking, facilities_manager, django_capture_on_commit_callbacks
):
    _approve(booking, facilities_manager, django_capture_on_commit_callbacks)
    link = Payment.objects.get(booking=booking)
    Payment.objects.filter(pk=link.pk).update(due_by=timezone.now() - timedelta(minutes=1))
    smtp_inbox.deliver()
    smtp_inbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert booking_fees_expire_unpaid() == 1

    [message] = smtp_inbox.deliver().to("asso@example.test")  # one story, told once
    assert "Paiement non reçu : créneau libéré" in message["Subject"]
    text = text_of(message)
    assert "la réservation est donc annulée" in text
    assert "Rien n'a été prélevé sur votre carte." in text


def test_a_refund_says_how_much_why_and_when_it_reaches_the_card(
    smtp_inbox,
    stripe_api,
    booking,
    requester,
    facilities_manager,
    commune_staff,
    django_capture_on_commit_callbacks,
):
    payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    _approve(booking, facilities_manager, django_capture_on_commit_callbacks)
    payment = Payment.objects.get(booking=booking)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(
            payment=payment, actor=commune_staff, amount_cents=1000, reason="Chauffage en panne."
        )

    [message] = smtp_inbox.deliver().to("asso@example.test")
    assert message["Subject"].strip().startswith("[Locaux Communs] Paiement remboursé — ")
    text = text_of(message)
    assert "Montant remboursé : 10,00 €" in text
    assert "Remboursé au total : 10,00 € sur 30,00 € payés" in text
    assert "Motif : Chauffage en panne." in text
    assert "sous 5 à 10 jours ouvrés" in text
    _nobody_else(smtp_inbox)

    smtp_inbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=requester, reason="Réunion annulée")

    [message] = smtp_inbox.deliver().to("asso@example.test")[-1:]
    assert "Montant remboursé : 20,00 €" in text_of(message)
    assert "Remboursé au total : 30,00 € sur 30,00 € payés" in text_of(message)


# --- Deposits ---


@pytest.fixture
def deposit_booking(
    space, collector, requester, facilities_manager, others, django_capture_on_commit_callbacks
):
    space.deposit_cents = 20_000
    space.save(update_fields=["deposit_cents"])
    start, end = slot(days=2)
    booking = booking_request_for(space=space, requested_by=requester, start=start, end=end)
    _approve(booking, facilities_manager, django_capture_on_commit_callbacks)
    return booking


def _hold(booking, requester, capture):
    from payments.services.cards import payment_pay

    with capture(execute=True):
        return payment_pay(
            payment=deposit_open(booking=booking, actor=requester),
            actor=requester,
            payment_method="pm_card_visa",
        )


def test_a_deposit_held_then_released_is_told_each_time(
    smtp_inbox,
    stripe_api,
    deposit_booking,
    requester,
    facilities_manager,
    django_capture_on_commit_callbacks,
):
    smtp_inbox.deliver()
    smtp_inbox.clear()
    deposit = _hold(deposit_booking, requester, django_capture_on_commit_callbacks)

    [held] = smtp_inbox.deliver().to("asso@example.test")
    assert "Caution bloquée sur votre carte" in held["Subject"]
    assert "Caution bloquée : 200,00 €" in text_of(held)
    assert "Rien n'est prélevé" in text_of(held)

    smtp_inbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deposit_release(payment=deposit, actor=facilities_manager, reason="Salle rendue propre.")

    [released] = smtp_inbox.deliver().to("asso@example.test")
    assert "Caution libérée" in released["Subject"]
    assert "Motif : Salle rendue propre." in text_of(released)
    assert released["Reply-To"] == "manager@example.test"
    _nobody_else(smtp_inbox)


def test_a_deposit_kept_gives_the_amount_and_the_reason(
    smtp_inbox,
    stripe_api,
    deposit_booking,
    requester,
    commune_staff,
    django_capture_on_commit_callbacks,
):
    deposit = _hold(deposit_booking, requester, django_capture_on_commit_callbacks)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deposit_keep(payment=deposit, actor=commune_staff, amount_cents=5_000, reason="Clé perdue.")

    [kept] = smtp_inbox.deliver().to("asso@example.test")  # not also a "payment received"
    assert "Caution retenue" in kept["Subject"]
    text = text_of(kept)
    assert "Montant retenu : 50,00 € sur 200,00 €" in text
    assert "Motif : Clé perdue." in text


# --- The public accountant ---


def test_a_fee_collected_by_the_public_accountant_says_a_notice_will_come_and_how_to_pay(
    smtp_inbox,
    priced_space,
    requester,
    facilities_manager,
    others,
    django_capture_on_commit_callbacks,
):
    PaymentChannel.objects.create(
        owner=priced_space.site.owner,
        kind=ChannelKind.PUBLIC_ACCOUNTING,
        finance_department="Service des finances de Denain",
        payfip_url=PAYFIP,
    )
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    _approve(booking, facilities_manager, django_capture_on_commit_callbacks)

    [message] = [
        m
        for m in smtp_inbox.deliver().to("asso@example.test")
        if "Avis des sommes à payer" in m["Subject"]
    ]
    assert message["Subject"].strip() == (
        f"[Locaux Communs] Avis des sommes à payer à venir — réservation n° {booking.pk}"
    )
    text = text_of(message)
    assert "est payante : 30,00 €" in text
    assert "Service des finances de Denain vous adressera un avis des sommes à payer" in text
    assert PAYFIP in text
    assert "N'envoyez aucun paiement avant d'avoir reçu l'avis." in text
    assert message["Reply-To"] == "manager@example.test"
    assert not Payment.objects.exists()
    _nobody_else(smtp_inbox)


# --- Agreements: the monthly fee, and how it is paid ---


def _office(site):
    return SpaceFactory(
        site=site, name="Bureau 12", kind=SpaceKind.OFFICE, allocatable=True, bookable=False
    )


def test_a_month_of_an_agreement_is_asked_of_the_structures_members(
    smtp_inbox, collector, territory_admin, association, requester, site, facilities_manager, others
):
    agreement_signed(
        actor=territory_admin,
        structure=association,
        spaces=[_office(site)],
        start=date(2027, 1, 15),
        end=date(2028, 1, 15),
        annual_fee_cents=12_000_00,
    )
    smtp_inbox.deliver()
    smtp_inbox.clear()

    with time_machine.travel(datetime(2027, 2, 1, 8, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        [payment] = agreement_payment_requests_issue(month=date(2027, 2, 1))
        inbox = smtp_inbox.deliver()  # due from its creation, in 2027
    for address in ("asso@example.test", "tresorier@example.test"):
        [message] = inbox.to(address)
        assert "Paiement à effectuer — Convention n° " in message["Subject"]
        text = text_of(message)
        assert "Montant : 1\xa0000,00 €" in text
        assert "À payer avant le : mercredi 3 mars 2027 à 08:00" in text
        assert "La redevance reste due après cette date" in text
        assert payment.get_absolute_url() in text
        assert message["Reply-To"] == "manager@example.test"
    assert inbox.to("outsider@example.test") == []


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        (ChannelKind.STRIPE, "chaque mois, vous recevrez un lien pour payer la mensualité"),
        (ChannelKind.PUBLIC_ACCOUNTING, "elle est recouvrée par le comptable public"),
    ],
)
def test_the_signed_agreement_tells_the_structure_how_its_fee_is_paid(
    smtp_inbox, territory_admin, association, requester, site, kind, said
):
    PaymentChannel.objects.create(
        owner=site.owner,
        kind=kind,
        finance_department="Service des finances de Denain",
        payfip_url=PAYFIP,
        **(
            {
                "stripe_publishable_key": PUBLISHABLE_KEY,
                "stripe_secret_key": SECRET_KEY,
                "stripe_webhook_secret": WEBHOOK_SECRET,
            }
            if kind == ChannelKind.STRIPE
            else {}
        ),
    )
    agreement_signed(
        actor=territory_admin,
        structure=association,
        spaces=[_office(site)],
        start=date(2027, 1, 15),
        end=date(2028, 1, 15),
        annual_fee_cents=12_000_00,
    )

    [signed] = [m for m in smtp_inbox.deliver().to("asso@example.test") if "signée" in m["Subject"]]
    text = text_of(signed)
    assert said in text
    assert (PAYFIP in text) == (kind == ChannelKind.PUBLIC_ACCOUNTING)


def _french_day(moment) -> str:
    days = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    return f"{days[moment.weekday()]} {moment.day} {months[moment.month - 1]} {moment.year}"
