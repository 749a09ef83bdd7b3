"""Every step of an occupancy agreement is told to the right side, through a real SMTP server:
the offer to the structure's members; the answer to the owner's staff and the sites' managers
(and a confirmation to the structure); the signature, the first day, the end approaching (60
and 30 days before, once each), a renewal, the end at term and an early end to both sides.
Each in the recipient's language, with the agreement's page and who can answer; a stranger
hears nothing. The clock stands on Monday 4 January 2027 in Paris."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accounts.models import MembershipRole, Notification
from bookings.allocations import (
    allocation_accept,
    allocation_decline,
    allocation_end,
    allocation_offer,
    allocation_renew,
    allocation_sign,
    allocations_activate_and_end,
    allocations_remind_ending,
)
from bookings.models import AllocationReminder
from tests.factories import MembershipFactory, UserFactory
from tests.stack.smtp import html_of, text_of

pytestmark = pytest.mark.usefixtures("frozen_clock")

START, END = date(2027, 2, 1), date(2028, 2, 1)  # END is exclusive: last day 31 January 2028
OWNER_SIDE = ("staff@example.test", "manager@example.test")
STRUCTURE_SIDE = ("occupant@example.test", "benevole@example.test")
STRANGERS = ("outsider@example.test", "repair@example.test")


@pytest.fixture
def people(site, commune_staff, facilities_manager, verified, occupant, outsider):
    """The owner's staff and the site's manager; the structure's administrator (`occupant`)
    and a member; a stranger, and a member of another structure."""
    MembershipFactory(
        organisation=verified,
        user=UserFactory(email="benevole@example.test"),
        role=MembershipRole.MEMBER,
    )
    MembershipFactory(user=UserFactory(email="repair@example.test"))
    site.owner.name = "Ville de Denain"
    site.owner.save()
    return site


def offer(actor, structure, office, **terms):
    terms.setdefault("annual_fee_cents", 120_000)
    return allocation_offer(
        actor=actor,
        structure=structure,
        spaces=[office],
        start=START,
        end=END,
        direct_reason="Un seul occupant possible (CG3P L2122-1-3).",
        **terms,
    )


def accept(allocation, occupant, insured_until=date(2027, 12, 31)):
    allocation_accept(
        allocation=allocation,
        actor=occupant,
        house_rules_accepted=True,
        insurance_valid_until=insured_until,
    )


def signed(commune_staff, verified, office, occupant):
    allocation = offer(commune_staff, verified, office)
    accept(allocation, occupant)
    allocation_sign(allocation=allocation, actor=commune_staff)
    allocation.refresh_from_db()
    return allocation


def only_to(inbox, addresses) -> dict:
    """The one message each address got; nobody else got any."""
    received = {str(message["To"]).strip(): message for message in inbox.messages}
    assert sorted(received) == sorted(addresses)
    return received


def test_an_offer_reaches_the_structures_members_with_what_where_when_fee_and_what_to_do(
    smtp_inbox, people, commune_staff, verified, office, settings
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    allocation = offer(commune_staff, verified, office)

    received = only_to(smtp_inbox.deliver(), STRUCTURE_SIDE)

    message = received["occupant@example.test"]
    assert message["Subject"].strip() == (
        "[Locaux Communs] Convention d'occupation proposée — Les Grands Bureaux"
    )
    text = text_of(message)
    assert (
        "Ville de Denain propose à Mobilité Solidaire une convention d'occupation de longue durée"
        in text
    )
    assert "Bureau 12 (Les Grands Bureaux" in text
    assert "du lundi 1 février 2027 au lundi 31 janvier 2028 inclus" in text
    assert "Redevance : 1\xa0200,00 € par an" in text
    assert "répond à l'offre en ligne, avant le lundi 1 février 2027" in text
    link = f"http://127.0.0.1:8123{allocation.get_absolute_url()}"
    assert link in text
    assert f'href="{link}"' in html_of(message)
    assert message["Reply-To"] == "manager@example.test"  # the site's manager answers
    assert message["List-Unsubscribe"] is None  # a request to act is never optional
    entry = Notification.objects.get(user__email="benevole@example.test")
    assert entry.link == allocation.get_absolute_url()


def test_a_member_who_reads_english_gets_the_offer_in_english(
    smtp_inbox, people, commune_staff, verified, office
):
    type(commune_staff).objects.filter(email="benevole@example.test").update(language="en")

    offer(commune_staff, verified, office)

    [message] = smtp_inbox.deliver().to("benevole@example.test")
    assert message["Subject"].strip() == (
        "[Locaux Communs] Occupancy agreement offered — Les Grands Bureaux"
    )
    text = text_of(message)
    assert "Fee: 1,200.00 € a year" in text
    assert "from Monday 1 February 2027 to Monday 31 January 2028 inclusive" in text
    assert "What you need to do: an administrator of your structure answers" in text


def test_an_acceptance_asks_the_owners_side_to_sign_and_confirms_to_the_structure(
    smtp_inbox, people, commune_staff, verified, office, occupant
):
    allocation = offer(commune_staff, verified, office)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    accept(allocation, occupant)

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE + STRUCTURE_SIDE)
    to_staff = received["staff@example.test"]
    assert to_staff["Subject"].strip() == (
        f"[Locaux Communs] Convention n° {allocation.pk} acceptée, à signer — Mobilité Solidaire"
    )
    assert "Son attestation d'assurance est valable jusqu'au 31 décembre 2027" in text_of(to_staff)
    assert "Ce que vous devez faire : signer la convention" in text_of(to_staff)
    assert to_staff["Reply-To"] == "occupant@example.test"  # the structure's administrator
    to_member = received["benevole@example.test"]
    assert "est bien enregistrée" in text_of(to_member)
    assert "Il reste à Ville de Denain à signer la convention" in text_of(to_member)
    assert to_member["Reply-To"] == "manager@example.test"


def test_a_declined_offer_tells_the_owners_side_why_and_a_refused_answer_tells_nobody(
    smtp_inbox, people, commune_staff, verified, office, occupant
):
    allocation = offer(commune_staff, verified, office)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    with pytest.raises(ValidationError):
        allocation_decline(allocation=allocation, actor=occupant, reason="  ")
    assert smtp_inbox.deliver().messages == []

    allocation_decline(allocation=allocation, actor=occupant, reason="Locaux trop petits.")

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE)
    text = text_of(received["manager@example.test"])
    assert f"Mobilité Solidaire a décliné la convention n° {allocation.pk}." in text
    assert "Motif : Locaux trop petits." in text


def test_the_signature_tells_both_sides_and_the_first_day_tells_them_again(
    smtp_inbox, people, commune_staff, verified, office, occupant
):
    allocation = offer(commune_staff, verified, office)
    accept(allocation, occupant)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    allocation_sign(allocation=allocation, actor=commune_staff)

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE + STRUCTURE_SIDE)
    to_occupant = received["occupant@example.test"]
    assert to_occupant["Subject"].strip() == (
        f"[Locaux Communs] Convention n° {allocation.pk} signée — Les Grands Bureaux"
    )
    assert "Elle prendra effet le lundi 1 février 2027." in text_of(to_occupant)
    assert "remise des clés et de l'état des lieux d'entrée" in text_of(to_occupant)
    assert "ne peuvent plus être réservés à l'heure" in text_of(received["staff@example.test"])

    smtp_inbox.clear()
    assert allocations_activate_and_end(today=date(2027, 1, 31)) == (0, 0)
    assert smtp_inbox.deliver().messages == []
    assert allocations_activate_and_end(today=START) == (1, 0)

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE + STRUCTURE_SIDE)
    assert "prend effet aujourd'hui, lundi 1 février 2027" in text_of(
        received["benevole@example.test"]
    )
    assert "occupés par Mobilité Solidaire" in text_of(received["manager@example.test"])


def test_the_end_is_announced_60_and_30_days_before_once_each(
    smtp_inbox, people, commune_staff, verified, office, occupant
):
    allocation = signed(commune_staff, verified, office, occupant)
    allocations_activate_and_end(today=START)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    assert allocations_remind_ending(today=date(2027, 12, 2)) == 0  # 61 days before
    assert allocations_remind_ending(today=date(2027, 12, 3)) == 1  # 60 days before

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE + STRUCTURE_SIDE)
    to_occupant = received["occupant@example.test"]
    assert to_occupant["Subject"].strip() == (
        f"[Locaux Communs] La convention n° {allocation.pk} se termine le 31 janvier 2028"
        " — Les Grands Bureaux"
    )
    text = text_of(to_occupant)
    assert "se termine le lundi 31 janvier 2028 au soir, dans 60 jours" in text
    assert "demandez dès maintenant un renouvellement à Ville de Denain" in text
    assert "proposez un renouvellement" in text_of(received["staff@example.test"])

    smtp_inbox.clear()
    assert allocations_remind_ending(today=date(2027, 12, 3)) == 0  # the same day again
    assert allocations_remind_ending(today=date(2027, 12, 20)) == 0
    assert smtp_inbox.deliver().messages == []
    assert allocations_remind_ending(today=date(2028, 1, 5)) == 1  # missed days: still sent
    assert "dans 27 jours" in text_of(smtp_inbox.deliver().to("benevole@example.test")[0])
    assert allocations_remind_ending(today=date(2028, 1, 6)) == 0
    assert sorted(AllocationReminder.objects.values_list("days_before", flat=True)) == [30, 60]


def test_a_renewal_is_offered_to_the_structure_and_told_to_the_owners_side(
    smtp_inbox, people, commune_staff, verified, office, occupant
):
    allocation = signed(commune_staff, verified, office, occupant)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    renewal = allocation_renew(allocation=allocation, actor=commune_staff, end=date(2029, 2, 1))

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE + STRUCTURE_SIDE)
    to_member = received["benevole@example.test"]
    assert to_member["Subject"].strip() == (
        f"[Locaux Communs] Renouvellement de votre convention n° {allocation.pk} proposé"
        " — Les Grands Bureaux"
    )
    assert "de renouveler la convention n° " in text_of(to_member)
    to_manager = received["manager@example.test"]
    assert f"c'est la convention n° {renewal.pk}" in text_of(to_manager)

    # The end approaching mentions the renewal awaiting an answer; once the renewal is signed,
    # the agreement does not really end: no reminder.
    smtp_inbox.clear()
    assert allocations_remind_ending(today=date(2027, 12, 3)) == 1
    text = text_of(smtp_inbox.deliver().to("occupant@example.test")[0])
    assert f"Un renouvellement vous a été proposé (convention n° {renewal.pk})" in text
    accept(renewal, occupant, insured_until=date(2029, 1, 31))
    allocation_sign(allocation=renewal, actor=commune_staff)
    assert allocations_remind_ending(today=date(2028, 1, 2)) == 0


def test_an_early_end_tells_both_sides_the_reason(
    smtp_inbox, people, commune_staff, verified, office, occupant
):
    allocation = signed(commune_staff, verified, office, occupant)
    allocations_activate_and_end(today=START)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    allocation_end(
        allocation=allocation,
        actor=commune_staff,
        reason="Travaux de désamiantage.",
        on=date(2027, 6, 1),
    )

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE + STRUCTURE_SIDE)
    to_occupant = received["occupant@example.test"]
    assert to_occupant["Subject"].strip() == (
        f"[Locaux Communs] Convention n° {allocation.pk} résiliée — Les Grands Bureaux"
    )
    text = text_of(to_occupant)
    assert "elle prend fin le lundi 31 mai 2027 au soir, au lieu du lundi 31 janvier 2028" in text
    assert "ne sont plus réservés à la structure à compter du mardi 1 juin 2027" in text
    assert "Motif : Travaux de désamiantage." in text
    assert "libérer les locaux" in text
    assert to_occupant["Reply-To"] == "manager@example.test"
    assert received["staff@example.test"]["Reply-To"] == "occupant@example.test"


def test_the_end_at_term_tells_both_sides(
    smtp_inbox, people, commune_staff, verified, office, occupant
):
    allocation = signed(commune_staff, verified, office, occupant)
    allocations_activate_and_end(today=START)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    assert allocations_activate_and_end(today=END) == (0, 1)

    received = only_to(smtp_inbox.deliver(), OWNER_SIDE + STRUCTURE_SIDE)
    to_member = received["benevole@example.test"]
    assert to_member["Subject"].strip() == (
        f"[Locaux Communs] Convention n° {allocation.pk} arrivée à son terme — Les Grands Bureaux"
    )
    text = text_of(to_member)
    assert "est arrivée à son terme le lundi 31 janvier 2028" in text
    assert "Motif" not in text  # the job's own reason says nothing more
    assert "état des lieux de sortie" in text_of(received["manager@example.test"])
