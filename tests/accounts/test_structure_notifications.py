"""Every step of a structure is told to whoever must know, through a real SMTP server: a new
structure to verify (the intercommunality), a structure verified (its members), a structure
sent back to verification (the intercommunality and its administrators), and its documents
about to expire (its members and the managers of the premises it occupies, as reminders they
may switch off)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import DocumentKind, MembershipRole, Notification, Organisation
from accounts.reminders import expiry_reminders_send
from accounts.services import organisation_update, structure_register, structure_verify
from spaces.models import SpaceKind
from tests.factories import (
    MembershipFactory,
    OrganisationDocumentFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    make_siret,
)
from tests.helpers import verification_documents_add
from tests.stack.smtp import text_of

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def declarer(db):
    return UserFactory(email="presidente@velo.example", first_name="Camille", last_name="Durand")


def _register(declarer) -> Organisation:
    return structure_register(
        organisation=Organisation(
            name="Les Amis du Vélo", ess_family="association", siret=make_siret(4242)
        ),
        user=declarer,
    )


def _text(message) -> str:
    return text_of(message).replace("\r\n", "\n")


def _stranger_gets_nothing(inbox, *strangers) -> None:
    for stranger in strangers:
        assert inbox.to(stranger.email) == []
        assert not Notification.objects.filter(user=stranger).exists()


# --- A new structure ---


def test_a_new_structure_is_announced_to_the_intercommunality_for_verification(
    smtp_inbox, territory_admin, declarer, commune_staff, member
):
    structure = _register(declarer)

    inbox = smtp_inbox.deliver()
    [message] = inbox.to(territory_admin.email)
    assert message["Subject"].strip() == (
        "[Locaux Communs] Nouvelle structure à vérifier : Les Amis du Vélo"
    )
    text = _text(message)
    assert "Camille Durand vient d'inscrire la structure Les Amis du Vélo" in text
    assert f"SIRET : {make_siret(4242)}" in text
    assert "ne peut ni demander de locaux ni candidater" in text
    assert SITE + reverse("accounts:structure-detail", args=[structure.pk]) in text
    assert message["Reply-To"] == "presidente@velo.example"
    assert message["List-Unsubscribe"] is None  # a request to act, never optional
    # Commune staff and another structure's member are not the verifiers.
    _stranger_gets_nothing(inbox, commune_staff, member)
    [entry] = Notification.objects.filter(user=territory_admin)
    assert entry.link == reverse("accounts:structure-detail", args=[structure.pk])


def test_the_declarer_is_told_what_happens_next(smtp_inbox, territory_admin, declarer):
    structure = _register(declarer)

    [message] = smtp_inbox.deliver().to(declarer.email)
    assert message["Subject"].strip() == (
        "[Locaux Communs] Les Amis du Vélo est inscrite : en attente de vérification"
    )
    text = _text(message)
    assert "l'intercommunalité vérifie les informations de la structure" in text
    assert "Vous recevrez un message dès qu'elle sera vérifiée" in text
    assert "déposez ses statuts et son attestation d'assurance" in text
    assert SITE + reverse("accounts:structure-detail", args=[structure.pk]) in text
    assert message["Reply-To"] == territory_admin.email


def test_an_english_speaking_verifier_reads_it_in_english(smtp_inbox, epci, declarer):
    verifier = MembershipFactory(
        organisation=epci, user=UserFactory(email="verifier@example.test", language="en")
    ).user

    _register(declarer)

    [message] = smtp_inbox.deliver().to(verifier.email)
    assert (
        message["Subject"].strip() == "[Locaux Communs] New structure to verify: Les Amis du Vélo"
    )
    assert "has just registered the structure Les Amis du Vélo" in _text(message)


# --- Verified ---


def test_a_verified_structure_tells_its_members_they_may_request_space(
    smtp_inbox, territory_admin, structure, member, outsider
):
    colleague = MembershipFactory(
        organisation=structure,
        user=UserFactory(email="benevole@example.test"),
        role=MembershipRole.MEMBER,
    ).user

    verification_documents_add(structure)
    assert structure_verify(structure=structure, actor=territory_admin)

    inbox = smtp_inbox.deliver()
    for person in (member, colleague):
        [message] = inbox.to(person.email)
        assert message["Subject"].strip() == (
            "[Locaux Communs] Mobilité Solidaire est vérifiée : vous pouvez demander des locaux"
        )
        text = _text(message)
        assert "L'intercommunalité a vérifié votre structure, Mobilité Solidaire" in text
        assert "demander des locaux et candidater aux appels" in text
        assert SITE + reverse("spaces:catalogue") in text
        assert message["Reply-To"] == territory_admin.email
        assert message["List-Unsubscribe"] is None
    _stranger_gets_nothing(inbox, outsider, territory_admin)


def test_a_second_verification_tells_nobody_again(smtp_inbox, territory_admin, structure, member):
    verification_documents_add(structure)
    structure_verify(structure=structure, actor=territory_admin)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    assert not structure_verify(structure=structure, actor=territory_admin)

    assert smtp_inbox.deliver().messages == []


def test_a_member_reads_the_verification_in_english(smtp_inbox, territory_admin, structure):
    english = MembershipFactory(
        organisation=structure, user=UserFactory(email="en@example.test", language="en")
    ).user

    verification_documents_add(structure)
    structure_verify(structure=structure, actor=territory_admin)

    [message] = smtp_inbox.deliver().to(english.email)
    assert message["Subject"].strip() == (
        "[Locaux Communs] Mobilité Solidaire is verified: you may request space"
    )
    assert "The intercommunality has verified your structure" in _text(message)


# --- Sent back to verification ---


@pytest.fixture
def verified_structure(territory_admin):
    return VerifiedStructureFactory(name="Les Amis du Vélo", verified_by=territory_admin)


@pytest.fixture
def structure_admin(verified_structure):
    return MembershipFactory(
        organisation=verified_structure,
        user=UserFactory(email="tresorier@velo.example", first_name="Dominique", last_name="Roy"),
    ).user


def test_an_identity_change_tells_the_intercommunality_and_the_structure_admins(
    smtp_inbox, territory_admin, verified_structure, structure_admin, outsider
):
    plain_member = MembershipFactory(
        organisation=verified_structure,
        user=UserFactory(email="benevole@velo.example"),
        role=MembershipRole.MEMBER,
    ).user
    verified_structure.name = "Vélo Solidaire"
    verified_structure.ess_family = "scic"

    organisation_update(organisation=verified_structure, actor=structure_admin)

    inbox = smtp_inbox.deliver()
    link = SITE + reverse("accounts:structure-detail", args=[verified_structure.pk])
    [to_verifier] = inbox.to(territory_admin.email)
    assert to_verifier["Subject"].strip() == (
        "[Locaux Communs] Structure à vérifier de nouveau : Vélo Solidaire"
    )
    text = _text(to_verifier)
    assert "Dominique Roy a modifié les informations d'identification de Vélo Solidaire" in text
    assert "- Nom : Les Amis du Vélo → Vélo Solidaire" in text
    assert "- Famille de l’ESS : Association → Coopérative — SCIC" in text
    assert link in text
    assert to_verifier["Reply-To"] == structure_admin.email

    [to_admin] = inbox.to(structure_admin.email)
    assert to_admin["Subject"].strip() == (
        "[Locaux Communs] Vélo Solidaire : nouvelle vérification par l'intercommunalité"
    )
    text = _text(to_admin)
    assert "- Nom : Les Amis du Vélo → Vélo Solidaire" in text
    assert "vos réservations et vos conventions en cours sont maintenues" in text
    assert "les nouvelles demandes de locaux" in text
    assert "attendront cette vérification" in text
    assert link in text
    assert to_admin["Reply-To"] == territory_admin.email
    assert to_admin["List-Unsubscribe"] is None
    _stranger_gets_nothing(inbox, plain_member, outsider)


def test_an_english_speaking_admin_reads_what_changed_in_english(
    smtp_inbox, territory_admin, verified_structure
):
    admin = MembershipFactory(
        organisation=verified_structure, user=UserFactory(email="en@velo.example", language="en")
    ).user
    verified_structure.name = "Vélo Solidaire"

    organisation_update(organisation=verified_structure, actor=admin)

    [message] = smtp_inbox.deliver().to(admin.email)
    text = _text(message)
    assert "to be verified again by the intercommunality" in message["Subject"]
    assert "- Name: Les Amis du Vélo → Vélo Solidaire" in text
    assert "your current bookings and agreements stay" in text


def test_a_change_of_contact_details_tells_nobody(
    smtp_inbox, territory_admin, verified_structure, structure_admin
):
    verified_structure.phone = "03 27 11 22 33"

    organisation_update(organisation=verified_structure, actor=structure_admin)

    assert smtp_inbox.deliver().messages == []


# --- Documents about to expire ---

EXPIRES = date(2027, 3, 31)


@pytest.fixture
def occupied_structure(territory_admin, site, facilities_manager):
    """A verified structure, with a member and an insurance certificate expiring on EXPIRES,
    that holds a current agreement on `site` (run by `facilities_manager`)."""
    structure = StructureFactory(
        name="Mobilité Solidaire",
        verified_at=timezone.now(),
        verified_by=territory_admin,
        email="contact@mobilite.example",
    )
    member = MembershipFactory(organisation=structure, user=UserFactory(email="m@example.test"))
    OrganisationDocumentFactory(
        organisation=structure,
        kind=DocumentKind.INSURANCE,
        expires_on=EXPIRES,
        uploaded_by=member.user,
    )
    office = SpaceFactory(
        site=site,
        name="Bureau 12",
        kind=SpaceKind.OFFICE,
        surface_m2=Decimal("100"),
        reference_rent=Decimal("230"),
        allocatable=True,
        bookable=False,
    )
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[office],
        start=date(2026, 1, 1),
        end=date(2028, 1, 1),
    )
    return structure


def test_an_expiring_certificate_reminds_members_and_managers_with_an_unsubscribe_link(
    smtp_inbox, occupied_structure, facilities_manager, outsider
):
    smtp_inbox.deliver().clear()  # the agreement's own messages (offered, signed…)
    assert expiry_reminders_send(today=EXPIRES - timedelta(days=30)) == 1

    inbox = smtp_inbox.deliver()
    [to_member] = inbox.to("m@example.test")
    assert to_member["Subject"].strip() == (
        "[Locaux Communs] Attestation d'assurance à renouveler — Mobilité Solidaire"
    )
    text = _text(to_member)
    assert (
        "L'attestation d'assurance de Mobilité Solidaire expire le mercredi 31 mars 2027, "
        "dans 30 jours." in text
    )
    assert "Déposez la nouvelle attestation" in text
    assert SITE + reverse("accounts:structure-detail", args=[occupied_structure.pk]) in text
    assert to_member["Reply-To"] == facilities_manager.email
    assert to_member["List-Unsubscribe"].strip().startswith(f"<{SITE}/accounts/notifications/")
    assert to_member["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Ne plus recevoir ce rappel" in text

    [to_manager] = inbox.to(facilities_manager.email)
    text = _text(to_manager)
    assert "Attestation d'assurance à renouveler — Mobilité Solidaire" in to_manager["Subject"]
    assert "des locaux que vous gérez :\n- Les Grands Bureaux" in text
    assert "Vérifiez qu'elle vous transmet une attestation d'assurance valide" in text
    assert SITE + reverse("bookings:allocation-list") in text
    assert to_manager["Reply-To"] == "contact@mobilite.example"
    assert to_manager["List-Unsubscribe"] is not None
    _stranger_gets_nothing(inbox, outsider)


def test_a_manager_who_switched_the_reminder_off_is_listed_but_not_mailed(
    smtp_inbox, occupied_structure, facilities_manager
):
    facilities_manager.muted_topics = ["document_expiry"]
    facilities_manager.save()
    smtp_inbox.deliver().clear()  # the agreement's own messages (offered, signed…)

    expiry_reminders_send(today=EXPIRES - timedelta(days=7))

    inbox = smtp_inbox.deliver()
    assert inbox.to(facilities_manager.email) == []
    assert len(inbox.to("m@example.test")) == 1
    assert Notification.objects.filter(user=facilities_manager, topic="document_expiry").exists()


def test_an_esus_reminder_in_english(smtp_inbox, structure):
    english = MembershipFactory(
        organisation=structure, user=UserFactory(email="en@example.test", language="en")
    ).user
    structure.esus_expires_on = EXPIRES
    structure.save()

    expiry_reminders_send(today=EXPIRES - timedelta(days=7))

    [message] = smtp_inbox.deliver().to(english.email)
    assert message["Subject"].strip() == (
        "[Locaux Communs] ESUS approval to renew — Mobilité Solidaire"
    )
    assert "expires on Wednesday 31 March 2027, in 7 days" in _text(message)
    assert "Stop these reminders" in _text(message)
