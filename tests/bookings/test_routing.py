"""Who decides a booking request (bookings.selectors.booking_routing), and what each side is
told (bookings/notifications.py), through a real SMTP server.

A request goes to the site's facilities managers, else to the owner's staff (a commune's for its
premises, the intercommunality's for its own buildings), else to the intercommunality's people;
never to a deactivated or erased account, nor to someone who belongs to the requesting
structure. Whoever it goes to can act on it: they see it in their approval queue and may decide.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the slot is Tuesday 12 January,
18:00–20:00, so the request lapses when it starts (less than 10 days ahead).
"""

import itertools
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import MembershipRole, Notification, User
from bookings.permissions import booking_check_decider
from bookings.selectors import (
    ROUTING_TIERS,
    booking_routing,
    bookings_pending_for,
)
from bookings.services import (
    booking_approve,
    booking_cancel,
    booking_refuse,
    bookings_send_reminders,
)
from spaces.models import Site
from spaces.selectors import SiteRole, sites_manageable_by, users_managing_site
from tests.factories import (
    CommuneFactory,
    MembershipFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)
from tests.stack.smtp import html_of, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)


def _book(space, user, **extra):
    return booking_request_for(space=space, requested_by=user, start=START, end=END, **extra)


def _header(message, name: str) -> str:
    return str(message[name]).strip()


def _emails(users) -> list[str]:
    return [user.email for user in users]


def _assert_each_can_decide(booking, people) -> None:
    """The routing's promise: every person it names has the booking in their approval queue
    and may decide it."""
    assert people
    for person in people:
        assert bookings_pending_for(person).filter(pk=booking.pk).exists(), person.email
        booking_check_decider(actor=person, booking=booking)  # raises if they may not


@pytest.fixture
def unmanaged_space(commune):
    """A space in a building of the commune (Denain) with no facilities manager."""
    site = SiteFactory(commune=commune, name="Salle des fêtes Jean-Jaurès")
    return SpaceFactory(site=site, name="Grande salle")


@pytest.fixture
def epci_space(commune, epci):
    """A space in a building the intercommunality owns, with no facilities manager."""
    site = SiteFactory(commune=commune, owner=epci, name="Pépinière d'activités")
    return SpaceFactory(site=site, name="Salle de la Pépinière")


# --- Routing: one test per kind of site ---


def test_a_managed_site_routes_to_its_facilities_managers(
    space, requester, facilities_manager, commune_staff, territory_admin
):
    booking = _book(space, requester)

    routing = booking_routing(booking)

    assert routing.tier == SiteRole.FACILITIES_MANAGER
    assert _emails(routing.deciders) == [facilities_manager.email]
    _assert_each_can_decide(booking, routing.deciders)


def test_a_commune_site_without_manager_routes_to_the_communes_staff(
    unmanaged_space, requester, commune_staff, territory_admin
):
    booking = _book(unmanaged_space, requester)

    routing = booking_routing(booking)

    assert routing.tier == SiteRole.OWNER_STAFF
    assert _emails(routing.deciders) == [commune_staff.email]
    _assert_each_can_decide(booking, routing.deciders)


def test_an_intercommunality_site_without_manager_routes_to_the_intercommunalitys_people(
    epci_space, requester, commune_staff, territory_admin
):
    booking = _book(epci_space, requester)

    routing = booking_routing(booking)

    # The intercommunality owns the building: its people are the owner's staff.
    assert routing.tier == SiteRole.OWNER_STAFF
    assert _emails(routing.deciders) == [territory_admin.email]
    _assert_each_can_decide(booking, routing.deciders)


def test_a_site_whose_only_manager_belongs_to_the_requesting_structure_routes_to_the_owner(
    space, site, organisation, requester, commune_staff, territory_admin
):
    conflicted = MembershipFactory(
        organisation=organisation, user=UserFactory(email="gestionnaire-asso@example.test")
    ).user
    site.managers.add(conflicted)
    booking = _book(space, requester)

    routing = booking_routing(booking)

    assert routing.tier == SiteRole.OWNER_STAFF
    assert _emails(routing.deciders) == [commune_staff.email]
    _assert_each_can_decide(booking, routing.deciders)


def test_a_site_whose_manager_account_is_deactivated_routes_to_the_owner(
    space, requester, facilities_manager, commune_staff, territory_admin
):
    facilities_manager.is_active = False
    facilities_manager.save()
    booking = _book(space, requester)

    routing = booking_routing(booking)

    assert routing.tier == SiteRole.OWNER_STAFF
    assert _emails(routing.deciders) == [commune_staff.email]
    _assert_each_can_decide(booking, routing.deciders)


def test_a_commune_site_without_manager_nor_staff_routes_to_the_intercommunality(
    unmanaged_space, requester, territory_admin
):
    booking = _book(unmanaged_space, requester)

    routing = booking_routing(booking)

    assert routing.tier == SiteRole.TERRITORY
    assert _emails(routing.deciders) == [territory_admin.email]
    _assert_each_can_decide(booking, routing.deciders)


def test_erased_and_unconfirmed_accounts_are_never_routed_to(
    unmanaged_space, requester, commune, territory_admin
):
    erased = MembershipFactory(
        organisation=commune.organisation, user=UserFactory(email="erased@example.test")
    ).user
    User.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    MembershipFactory(
        organisation=commune.organisation,
        user=UserFactory(email="unconfirmed@example.test", email_confirmed_at=None),
    )
    booking = _book(unmanaged_space, requester)

    assert _emails(booking_routing(booking).deciders) == [territory_admin.email]


def test_a_superuser_may_decide_but_is_never_routed_to(unmanaged_space, requester):
    operator = UserFactory(email="operateur@example.test", is_superuser=True, is_staff=True)
    booking = _book(unmanaged_space, requester)

    routing = booking_routing(booking)

    assert (routing.tier, routing.deciders) == (None, [])
    assert bookings_pending_for(operator).filter(pk=booking.pk).exists()


def test_the_people_of_a_site_and_the_sites_of_a_person_agree(
    site, facilities_manager, commune_staff, territory_admin, other_commune_staff, outsider
):
    operator = UserFactory(email="operateur@example.test", is_superuser=True)
    people = [facilities_manager, commune_staff, territory_admin, other_commune_staff, outsider]

    managing = set(users_managing_site(site))

    assert managing == {facilities_manager, commune_staff, territory_admin, operator}
    for person in [*people, operator]:
        assert (person in managing) == sites_manageable_by(person).filter(pk=site.pk).exists()


# --- Property: over a world of sites and people, whoever is routed to can decide ---


@pytest.fixture
def world(epci, territory_admin):
    """Sites of every kind, and people in every role, active or not, conflicted or not."""
    communes = [CommuneFactory(epci=epci) for _ in range(3)]
    structures = [VerifiedStructureFactory(name=f"Structure {n}") for n in range(3)]
    requesters = [MembershipFactory(organisation=structure).user for structure in structures]
    people = [territory_admin, UserFactory(email="operateur@example.test", is_superuser=True)]
    sites = []
    for n, commune in enumerate(communes):
        # A commune with two staff, one with one (deactivated), one with none.
        for _m in range(2 - n):
            staff = MembershipFactory(
                organisation=commune.organisation, role=MembershipRole.MEMBER
            ).user
            if n == 1:
                staff.is_active = False
                staff.save()
            people.append(staff)
        sites.append(SiteFactory(commune=commune))  # no manager
        managed = SiteFactory(commune=commune)
        manager = UserFactory()
        managed.managers.add(manager)
        people.append(manager)
        sites.append(managed)
        # A site whose manager belongs to one of the requesting structures.
        conflicted = SiteFactory(commune=commune)
        conflicted_manager = MembershipFactory(organisation=structures[n]).user
        conflicted.managers.add(conflicted_manager)
        people.append(conflicted_manager)
        sites.append(conflicted)
        people.append(UserFactory(is_active=False))
    sites.append(SiteFactory(commune=communes[0], owner=epci))
    epci_managed = SiteFactory(commune=communes[1], owner=epci)
    lone_manager = UserFactory(is_active=False)
    epci_managed.managers.add(lone_manager)
    sites.append(epci_managed)
    people.extend([*requesters, lone_manager])
    bookings = [
        _book(SpaceFactory(site=site), requester, purpose=f"Réunion {n}")
        for n, (site, requester) in enumerate(itertools.product(sites, requesters))
    ]
    return sites, people + requesters, bookings


def test_routed_people_all_have_the_request_in_their_queue_and_may_decide_it(world):
    _sites, people, bookings = world

    for booking in bookings:
        routed = set(booking_routing(booking).deciders)
        queue = {person for person in people if bookings_pending_for(person).contains(booking)}
        assert routed, booking  # the intercommunality's people are always reachable here
        assert routed <= queue, booking
        _assert_each_can_decide(booking, routed)


def test_the_two_directions_of_who_manages_a_site_agree_over_the_world(world):
    sites, people, _bookings = world

    for site in Site.objects.filter(pk__in=[site.pk for site in sites]):
        managing = set(users_managing_site(site))
        for person in people:
            assert (person in managing) == sites_manageable_by(person).contains(site)


def _random_world(rng: random.Random, epci) -> list:
    """Sites owned by communes or by the intercommunality, with 0–2 managers each; 0–2 staff per
    commune, 0–2 people of the intercommunality, maybe an operator; each person active or not,
    confirmed or not, and perhaps a member of one of the requesting structures. Returns one
    pending request per site and structure."""
    structures = [VerifiedStructureFactory() for _ in range(2)]
    requesters = [MembershipFactory(organisation=structure).user for structure in structures]

    def person(organisation=None):
        user = UserFactory(
            is_active=rng.random() > 0.2,
            email_confirmed_at=timezone.now() if rng.random() > 0.1 else None,
        )
        if organisation is not None:
            MembershipFactory(organisation=organisation, user=user, role=MembershipRole.MEMBER)
        if rng.random() < 0.25:  # conflicted with one of the requesting structures
            MembershipFactory(organisation=rng.choice(structures), user=user)
        return user

    communes = [CommuneFactory(epci=epci) for _ in range(2)]
    for organisation in [epci] + [commune.organisation for commune in communes]:
        for _ in range(rng.randint(0, 2)):
            person(organisation)
    if rng.random() < 0.5:
        UserFactory(is_superuser=True)
    bookings = []
    for _ in range(4):
        commune = rng.choice(communes)
        owner = epci if rng.random() < 0.3 else commune.organisation
        site = SiteFactory(commune=commune, owner=owner)
        for _ in range(rng.randint(0, 2)):
            site.managers.add(person())
        bookings += [_book(SpaceFactory(site=site), requester) for requester in requesters]
    return bookings


def _able(user, booking) -> bool:
    """Can act on `booking`, by the rules written out again here."""
    return (
        user.is_active
        and user.erased_at is None
        and user.email_confirmed_at is not None
        and not user.memberships.filter(organisation=booking.organisation).exists()
    )


@pytest.mark.parametrize("seed", range(8))
def test_routing_over_random_worlds_picks_the_first_tier_with_someone_able(seed, epci):
    # Over the 8 worlds, requests go to each tier, and some to nobody.
    bookings = _random_world(random.Random(seed), epci)  # noqa: S311 (a world, not a secret)
    everyone = list(User.objects.all())

    for booking in bookings:
        site = booking.space.site
        routing = booking_routing(booking)
        routed = set(routing.deciders)
        queue = {user for user in everyone if bookings_pending_for(user).contains(booking)}
        assert routed <= queue
        for user in routed:
            booking_check_decider(actor=user, booking=booking)
        for role in ROUTING_TIERS:
            able = {user for user in users_managing_site(site, role=role) if _able(user, booking)}
            if role == routing.tier:
                assert routed == able  # the whole tier, and only it
                break
            assert able == set(), (role, routing.tier)  # an earlier tier had nobody able
        assert not any(user.is_superuser and not user.memberships.exists() for user in routed)


# --- What each side is told ---


def test_a_request_tells_the_requester_and_asks_the_manager_to_decide(
    smtp_inbox, settings, space, requester, facilities_manager, commune_staff, outsider
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    booking = _book(space, requester, purpose="Réunion d'équipe")

    inbox = smtp_inbox.deliver()

    [to_requester] = inbox.to(requester.email)
    assert (
        _header(to_requester, "Subject")
        == "[Locaux Communs] Demande de réservation reçue — Salle Usinor"
    )
    text = text_of(to_requester)
    assert "Objet : Réunion d'équipe (10 personnes)" in text
    assert "Elle est transmise au gestionnaire du lieu ; la réponse vous parviendra" in text
    assert "mardi 12 janvier 2027 de 18:00 à 20:00" in text
    assert "http://127.0.0.1:8123" + booking.get_absolute_url() in text
    assert _header(to_requester, "Reply-To") == facilities_manager.email
    [to_manager] = inbox.to(facilities_manager.email)
    assert (
        _header(to_manager, "Subject")
        == "[Locaux Communs] Nouvelle demande de réservation à traiter — Salle Usinor"
    )
    text = text_of(to_manager)
    assert (
        "pour Les Amis du Vélo, demande à réserver l'espace « Salle Usinor » (Les Grands Bureaux)."
        in text
    )
    assert "avant le mardi 12 janvier 2027 à 18:00" in text
    assert "http://127.0.0.1:8123" + reverse("bookings:pending") in text
    assert "Réunion d'équipe" in text
    assert "&#x27;" not in text
    assert "Réunion d&#x27;équipe" in html_of(to_manager)
    assert _header(to_manager, "Reply-To") == requester.email
    assert inbox.to(commune_staff.email) == []
    assert inbox.to(outsider.email) == []


def test_a_request_on_a_commune_site_without_manager_asks_the_communes_staff(
    smtp_inbox, unmanaged_space, requester, commune, commune_staff, territory_admin
):
    _book(unmanaged_space, requester)

    inbox = smtp_inbox.deliver()

    [to_staff] = inbox.to(commune_staff.email)
    assert "la demande est adressée aux services de son propriétaire" in text_of(to_staff)
    assert commune.organisation.name in text_of(to_staff)
    assert _header(to_staff, "Reply-To") == requester.email
    [to_requester] = inbox.to(requester.email)
    assert (
        f"Elle est transmise aux services de {commune.organisation.name}, propriétaire du lieu"
        in text_of(to_requester)
    )
    assert _header(to_requester, "Reply-To") == commune_staff.email
    assert inbox.to(territory_admin.email) == []


def test_a_request_nobody_can_decide_tells_the_requester_to_write_to_the_owner(
    smtp_inbox, unmanaged_space, requester, commune
):
    commune.organisation.email = "mairie@denain.example"
    commune.organisation.save()
    _book(unmanaged_space, requester)

    inbox = smtp_inbox.deliver()

    [to_requester] = inbox.to(requester.email)
    assert "Aucun responsable de ce lieu n'est joignable" in text_of(to_requester)
    assert _header(to_requester, "Reply-To") == "mairie@denain.example"
    assert len(inbox.messages) == 1


def test_a_manager_who_reads_english_is_asked_in_english(smtp_inbox, space, requester, site):
    manager = UserFactory(email="manager-en@example.test", language="en")
    site.managers.add(manager)

    _book(space, requester)

    [to_manager] = smtp_inbox.deliver().to(manager.email)
    assert _header(to_manager, "Subject") == (
        "[Locaux Communs] New booking request to decide — Salle Usinor"
    )
    text = text_of(to_manager)
    assert "for Les Amis du Vélo, asks to book “Salle Usinor” (Les Grands Bureaux)." in text
    assert "Tuesday 12 January 2027, 18:00 to 20:00" in text
    assert "by Tuesday 12 January 2027, 18:00" in text


def test_each_request_is_listed_in_the_deciders_notifications(space, requester, facilities_manager):
    booking = _book(space, requester)

    [entry] = Notification.objects.filter(user=facilities_manager)

    assert (entry.topic, entry.link) == ("booking_to_decide", reverse("bookings:pending"))
    assert Notification.objects.get(user=requester).link == booking.get_absolute_url()


def test_an_approval_tells_the_requester_with_the_manager_to_answer(
    smtp_inbox, space, requester, facilities_manager
):
    booking = _book(space, requester)
    smtp_inbox.deliver().clear()

    booking_approve(booking=booking, actor=facilities_manager)

    inbox = smtp_inbox.deliver()
    [message] = inbox.messages
    assert _header(message, "To") == requester.email
    assert _header(message, "Subject") == "[Locaux Communs] Réservation acceptée — Salle Usinor"
    assert "Votre demande de réservation est acceptée." in text_of(message)
    assert _header(message, "Reply-To") == facilities_manager.email


def test_a_refusal_tells_the_requester_why(smtp_inbox, space, requester, facilities_manager):
    space.name = "Salle d'activités"
    space.save()
    booking = _book(space, requester)
    smtp_inbox.deliver().clear()

    booking_refuse(booking=booking, actor=facilities_manager, reason="Salle en travaux d'été")

    [message] = smtp_inbox.deliver().messages
    assert _header(message, "Subject") == "[Locaux Communs] Réservation refusée — Salle d'activités"
    assert "Motif : Salle en travaux d'été" in text_of(message)


def test_a_cancellation_by_the_requester_tells_the_deciders_the_dates_freed(
    smtp_inbox, space, requester, facilities_manager, commune_staff, outsider
):
    booking = _book(space, requester)
    booking_approve(booking=booking, actor=facilities_manager)
    smtp_inbox.deliver().clear()

    booking_cancel(booking=booking, actor=requester, reason="Assemblée reportée")

    inbox = smtp_inbox.deliver()
    [to_manager] = inbox.to(facilities_manager.email)
    assert _header(to_manager, "Subject") == (
        "[Locaux Communs] Réservation annulée par la structure — Salle Usinor"
    )
    text = text_of(to_manager)
    assert "pour Les Amis du Vélo, a annulé une réservation pour la date suivante" in text
    assert "- mardi 12 janvier 2027 à 18:00" in text
    assert "Motif : Assemblée reportée" in text
    assert _header(to_manager, "Reply-To") == requester.email
    [to_requester] = inbox.to(requester.email)
    assert "Votre réservation est annulée pour la date suivante, à la demande de" in text_of(
        to_requester
    )
    assert inbox.to(commune_staff.email) == inbox.to(outsider.email) == []


def test_a_cancellation_by_the_manager_tells_the_requester_the_reason_and_not_the_managers(
    smtp_inbox, space, requester, facilities_manager
):
    booking = _book(space, requester)
    booking_approve(booking=booking, actor=facilities_manager)
    smtp_inbox.deliver().clear()

    booking_cancel(booking=booking, actor=facilities_manager, reason="Dégât des eaux")

    inbox = smtp_inbox.deliver()
    [message] = inbox.messages
    assert _header(message, "To") == requester.email
    text = text_of(message)
    assert "Le gestionnaire du lieu a annulé votre réservation pour la date suivante" in text
    assert "Motif : Dégât des eaux" in text
    assert _header(message, "Reply-To") == facilities_manager.email


def test_a_requester_who_left_the_structure_is_replaced_by_its_administrators(
    smtp_inbox, space, organisation, requester, facilities_manager
):
    admin = MembershipFactory(
        organisation=organisation, user=UserFactory(email="presidente@example.test")
    ).user
    booking = _book(space, requester)
    requester.memberships.all().delete()
    smtp_inbox.deliver().clear()

    booking_refuse(booking=booking, actor=facilities_manager, reason="Complet")

    inbox = smtp_inbox.deliver()
    assert [_header(message, "To") for message in inbox.messages] == [admin.email]


def test_the_day_before_reminder_is_an_optional_reminder(
    smtp_inbox, space, requester, facilities_manager
):
    booking = _book(space, requester)
    booking_approve(booking=booking, actor=facilities_manager)
    smtp_inbox.deliver().clear()

    assert bookings_send_reminders(now=paris(2027, 1, 11, 10)) == 1

    [message] = smtp_inbox.deliver().messages
    assert _header(message, "Subject") == (
        "[Locaux Communs] Rappel : réservation demain — Salle Usinor"
    )
    assert "demain, mardi 12 janvier 2027 à 18:00" in text_of(message)
    assert _header(message, "List-Unsubscribe").startswith("<http")
    assert _header(message, "Reply-To") == facilities_manager.email


def test_the_day_before_reminder_switched_off_is_listed_but_not_mailed(
    smtp_inbox, space, requester, facilities_manager
):
    booking = _book(space, requester)
    booking_approve(booking=booking, actor=facilities_manager)
    requester.muted_topics = ["booking_reminder"]
    requester.save()
    smtp_inbox.deliver().clear()

    bookings_send_reminders(now=paris(2027, 1, 11, 10))

    assert smtp_inbox.deliver().messages == []
    assert Notification.objects.filter(user=requester, topic="booking_reminder").exists()
