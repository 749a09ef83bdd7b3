"""Every step of a call for applications is told to whoever must know, through a real SMTP
server: an application sent (the call's managers, and a receipt to the applicant), withdrawn,
accepted or refused; a reviewer assigned; a call published (the waiting list); a call closed; its deliberation recorded.

The frozen clock stands on Monday 4 January 2027, 09:00 in Paris; the call closes on
1 February 2027 at noon (tests/calls/conftest.py)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import MembershipRole, Notification
from calls import services
from calls.models import CallLot
from tests.calls.conftest import DEADLINE, complete_draft, member_of_new_structure, submitted
from tests.factories import MembershipFactory, UserFactory, WaitingListEntryFactory
from tests.stack.smtp import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

SITE = "http://127.0.0.1:8000"
TITLE = "Bureaux vacants aux Grands Bureaux"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def call_contact_of_draft(draft):
    draft.owner.email = "locaux@denain.example"
    draft.owner.save()
    return draft.owner.email


@pytest.fixture
def call_contact(call):
    """The commune that publishes the call answers applicants at its contact address."""
    call.owner.email = "locaux@denain.example"
    call.owner.save()
    return call.owner.email


def _text(message) -> str:
    return text_of(message).replace("\r\n", "\n")


def _subject(message) -> str:
    return str(message["Subject"]).strip()


def _nothing_for(inbox, *people) -> None:
    for person in people:
        assert inbox.to(person.email) == []
        assert not Notification.objects.filter(user=person).exists()


def _deliver_fresh(smtp_inbox):
    """What is in the outbox now, once what was delivered before is forgotten."""
    smtp_inbox.deliver()
    smtp_inbox.clear()
    Notification.objects.all().delete()


def _office_lot(call) -> CallLot:
    return call.lots.get(space__name="Bureau 12")


# --- Published ---


def test_a_published_call_tells_the_waiting_list_structures_it_fits(
    smtp_inbox, draft, manager, association, applicant, call_contact_of_draft, outsider
):
    WaitingListEntryFactory(structure=association, kind="office", min_surface_m2=None)
    hall_seeker, hall_member = member_of_new_structure("Chorale de Denain", "chorale@example.test")
    WaitingListEntryFactory(structure=hall_seeker, kind="hall")
    gone, gone_member = member_of_new_structure("Repair Café", "repair@example.test")
    WaitingListEntryFactory(structure=gone, kind="office", closed_at=timezone.now())

    services.call_publish(call=draft, actor=manager)

    inbox = smtp_inbox.deliver()
    [message] = inbox.to(applicant.email)
    assert _subject(message) == (
        f"[Locaux Communs] Un appel à candidatures correspond à votre besoin : « {TITLE} »"
    )
    text = _text(message)
    assert "Votre structure est inscrite sur la liste d'attente des locaux." in text
    assert "». Ce local correspond à votre besoin :\n- Bureau 12 — Les Grands Bureaux" in text
    assert "Atelier 3" not in text  # a workshop: not what it asked for
    assert "jusqu'au lundi 1 février 2027 à 12:00" in text
    assert "l'inscription sur la liste d'attente ne vaut pas candidature" in text
    assert SITE + reverse("calls:call-detail", args=[draft.pk]) in text
    assert message["Reply-To"] == "locaux@denain.example"
    _nothing_for(inbox, hall_member, gone_member, outsider, manager)


# --- An application sent ---


def test_an_application_sent_reaches_the_call_managers(
    smtp_inbox, call, association, applicant, manager, outsider, territory_admin
):
    application = submitted(call=call, structure=association, actor=applicant)

    inbox = smtp_inbox.deliver()
    [message] = inbox.to(manager.email)
    assert _subject(message) == (
        f"[Locaux Communs] Nouvelle candidature à « {TITLE} » : Ressourcerie du Hainaut"
    )
    text = _text(message)
    assert (
        "Ressourcerie du Hainaut a envoyé sa candidature à l'appel "
        f"« {TITLE} » le lundi 4 janvier 2027 à 09:00." in text
    )
    assert "1. Bureau 12 (Les Grands Bureaux)\n2. Atelier 3 (Les Grands Bureaux)" in text
    assert "jusqu'au lundi 1 février 2027 à 12:00" in text
    assert SITE + reverse("calls:application-detail", args=[application.pk]) in text
    assert message["Reply-To"] == applicant.email
    assert message["List-Unsubscribe"] is None
    # The intercommunality may run any call, but the commune runs this one.
    _nothing_for(inbox, outsider, territory_admin)


def test_the_applicant_and_the_structure_admins_get_a_receipt(
    smtp_inbox, call, call_contact, association, applicant, manager
):
    president = MembershipFactory(
        organisation=association,
        user=UserFactory(email="presidente@ressourcerie.example"),
        role=MembershipRole.ADMIN,
    ).user
    volunteer = MembershipFactory(
        organisation=association,
        user=UserFactory(email="benevole@ressourcerie.example"),
        role=MembershipRole.MEMBER,
    ).user
    application = submitted(call=call, structure=association, actor=applicant)

    inbox = smtp_inbox.deliver()
    for person in (applicant, president):
        [message] = inbox.to(person.email)
        assert _subject(message) == (
            f"[Locaux Communs] Accusé de réception de votre candidature à « {TITLE} »"
        )
        text = _text(message)
        assert f"envoyée par {applicant} le lundi 4 janvier 2027 à 09:00." in text
        assert (
            "- lots demandés, par ordre de préférence : 1. Bureau 12 (Les Grands Bureaux) ; "
            "2. Atelier 3 (Les Grands Bureaux)" in text
        )
        assert "- surface souhaitée : 40 m²" in text
        assert "- occupation souhaitée à partir du 1 avril 2027, pour 36 mois" in text
        assert "- justificatifs joints : attestation d’assurance, statuts" in text
        assert "souscrit par Camille Martin, présidente" in text
        assert "jusqu'au lundi 1 février 2027 à 12:00 ; toutes seront ensuite examinées" in text
        assert "La décision vous sera communiquée par message, avec ses motifs." in text
        assert SITE + reverse("calls:application-detail", args=[application.pk]) in text
        assert message["Reply-To"] == "locaux@denain.example"
        assert message["List-Unsubscribe"] is None
    _nothing_for(inbox, volunteer)


def test_without_a_contact_address_applicants_reply_to_the_call_author(
    smtp_inbox, call, association, applicant, manager
):
    submitted(call=call, structure=association, actor=applicant)

    [receipt] = smtp_inbox.deliver().to(applicant.email)
    assert receipt["Reply-To"] == manager.email  # the author of the call


def test_an_english_speaking_applicant_gets_the_receipt_in_english(
    smtp_inbox, call, association, manager
):
    english = MembershipFactory(
        organisation=association, user=UserFactory(email="en@example.test", language="en")
    ).user

    submitted(call=call, structure=association, actor=english)

    [message] = smtp_inbox.deliver().to(english.email)
    assert _subject(message) == f"[Locaux Communs] Receipt of your application to “{TITLE}”"
    text = _text(message)
    assert "sent by" in text
    assert "on Monday 4 January 2027, 09:00" in text
    assert "- documents attached: insurance certificate, statutes" in text


def test_a_refused_submission_tells_nobody(smtp_inbox, call, association, applicant, manager):
    application = complete_draft(call=call, structure=association, actor=applicant, project="")

    with pytest.raises(Exception):  # noqa: B017,PT011 (the ValidationError of what is missing)
        services.application_submit(application=application, actor=applicant)

    assert smtp_inbox.deliver().messages == []


# --- Withdrawn ---


def test_a_sent_application_withdrawn_is_told_to_the_managers(
    smtp_inbox, application, applicant, manager
):
    _deliver_fresh(smtp_inbox)

    services.application_withdraw(
        application=application, actor=applicant, reason="Nous avons trouvé un local."
    )

    inbox = smtp_inbox.deliver()
    [message] = inbox.to(manager.email)
    assert _subject(message) == (
        f"[Locaux Communs] Candidature retirée : Ressourcerie du Hainaut — « {TITLE} »"
    )
    text = _text(message)
    assert "Motif indiqué : Nous avons trouvé un local." in text
    assert SITE + reverse("calls:call-manage", args=[application.call_id]) in text
    assert message["Reply-To"] == applicant.email
    assert inbox.to(applicant.email) == []


def test_a_draft_withdrawn_unsent_tells_nobody(smtp_inbox, call, association, applicant):
    draft = complete_draft(call=call, structure=association, actor=applicant)

    services.application_withdraw(application=draft, actor=applicant)

    assert smtp_inbox.deliver().messages == []


# --- Decided ---


def test_an_accepted_application_tells_the_structure_members_which_lot(
    smtp_inbox, application, applicant, manager, call_contact, outsider
):
    volunteer = MembershipFactory(
        organisation=application.structure,
        user=UserFactory(email="benevole@ressourcerie.example"),
        role=MembershipRole.MEMBER,
    ).user
    _deliver_fresh(smtp_inbox)

    services.application_accept(
        application=application, actor=manager, lot=_office_lot(application.call)
    )

    inbox = smtp_inbox.deliver()
    for person in (applicant, volunteer):
        [message] = inbox.to(person.email)
        assert _subject(message) == f"[Locaux Communs] Votre candidature à « {TITLE} » est retenue"
        text = _text(message)
        assert "est retenue pour le lot suivant :\nBureau 12 — Les Grands Bureaux" in text
        assert "vous proposera la convention d'occupation de ce local" in text
        assert SITE + reverse("calls:application-detail", args=[application.pk]) in text
        assert message["Reply-To"] == "locaux@denain.example"
        assert message["List-Unsubscribe"] is None
    _nothing_for(inbox, outsider, manager)


def test_a_refused_application_gets_the_reasons_and_how_to_contest(
    smtp_inbox, application, applicant, manager, call_contact
):
    _deliver_fresh(smtp_inbox)

    services.application_refuse(
        application=application, actor=manager, reason="Projet sans lien avec le territoire."
    )

    [message] = smtp_inbox.deliver().to(applicant.email)
    assert _subject(message) == (
        f"[Locaux Communs] Votre candidature à « {TITLE} » n'est pas retenue"
    )
    text = _text(message)
    assert "Motifs de la décision :\nProjet sans lien avec le territoire." in text
    assert "recours gracieux auprès de" in text
    assert "tribunal administratif compétent, dans un délai de deux mois" in text
    assert SITE + reverse("calls:waiting-create") in text
    assert message["Reply-To"] == "locaux@denain.example"


def test_an_english_speaking_member_reads_the_refusal_in_english(smtp_inbox, application, manager):
    english = MembershipFactory(
        organisation=application.structure,
        user=UserFactory(email="en@example.test", language="en"),
        role=MembershipRole.MEMBER,
    ).user
    _deliver_fresh(smtp_inbox)

    services.application_refuse(application=application, actor=manager, reason="Hors sujet.")

    [message] = smtp_inbox.deliver().to(english.email)
    assert _subject(message) == f"[Locaux Communs] Your application to “{TITLE}” is not accepted"
    assert "Reasons of the decision:\nHors sujet." in _text(message)


# --- Reviewers ---


def test_a_reviewer_assigned_is_asked_to_declare_interests_first(smtp_inbox, call, manager):
    reviewer = UserFactory(email="jury@example.test")

    services.reviewer_assign(call=call, reviewer=reviewer, actor=manager)
    services.reviewer_assign(call=call, reviewer=reviewer, actor=manager)  # once only

    [message] = smtp_inbox.deliver().to(reviewer.email)
    assert _subject(message) == f"[Locaux Communs] Évaluation des candidatures à « {TITLE} »"
    text = _text(message)
    assert "vous confie l'évaluation des candidatures" in text
    assert "déclarez si vous avez ou non un conflit d'intérêts" in text
    assert SITE + reverse("calls:review-call", args=[call.pk]) in text
    assert message["Reply-To"] == manager.email


# --- Closed ---


def test_closing_a_call_tells_applicants_unsent_drafts_and_reviewers(
    smtp_inbox, call, application, applicant, manager, reviewer
):
    drafting, drafter = member_of_new_structure("Repair Café", "repair@example.test")
    complete_draft(call=call, structure=drafting, actor=drafter)
    conflicted = UserFactory(email="conflit@example.test")
    assignment = services.reviewer_assign(call=call, reviewer=conflicted, actor=manager)
    services.reviewer_declare(
        assignment=assignment, actor=conflicted, conflict_of_interest=True, note="Trésorier."
    )
    _deliver_fresh(smtp_inbox)

    services.call_close(call=call, actor=manager)

    inbox = smtp_inbox.deliver()
    [to_applicant] = inbox.to(applicant.email)
    assert _subject(to_applicant) == (
        f"[Locaux Communs] Appel « {TITLE} » clos : votre candidature est en cours d'examen"
    )
    assert "il ne reçoit plus de candidatures" in _text(to_applicant)
    [to_drafter] = inbox.to(drafter.email)
    assert "votre candidature n'a pas été envoyée" in _subject(to_drafter)
    assert "restée à l'état de brouillon" in _text(to_drafter)
    [to_reviewer] = inbox.to(reviewer.email)
    assert _subject(to_reviewer) == f"[Locaux Communs] Candidatures à évaluer : « {TITLE} »"
    assert "1 candidature attend votre évaluation" in _text(to_reviewer)
    assert SITE + reverse("calls:review-call", args=[call.pk]) in _text(to_reviewer)
    _nothing_for(inbox, conflicted, manager)


def test_a_call_closed_at_its_deadline_tells_the_applicants(
    smtp_inbox, call, application, applicant
):
    _deliver_fresh(smtp_inbox)

    assert services.calls_close_past_deadline(now=DEADLINE + timedelta(seconds=1)) == 1

    [message] = smtp_inbox.deliver().to(applicant.email)
    assert "clos : votre candidature est en cours d'examen" in _subject(message)


# --- Deliberation ---


def test_the_deliberation_is_told_to_the_applicants_it_decided_on(
    smtp_inbox, call, application, applicant, manager
):
    services.application_accept(application=application, actor=manager, lot=_office_lot(call))
    services.call_close(call=call, actor=manager)
    _deliver_fresh(smtp_inbox)

    services.call_decide(
        call=call, actor=manager, reference="DEL-2027-014", decided_on=date(2027, 2, 10)
    )

    [message] = smtp_inbox.deliver().to(applicant.email)
    assert _subject(message) == f"[Locaux Communs] Délibération sur l'appel « {TITLE} »"
    text = _text(message)
    assert "délibération n° DEL-2027-014 du 10 février 2027" in text
    assert "candidature retenue pour le lot Bureau 12 (Les Grands Bureaux)" in text
