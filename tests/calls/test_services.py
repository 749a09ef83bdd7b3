"""Writes on calls: every transition, and every refusal of a forbidden one."""

from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.models import DocumentKind, OrganisationKind
from bookings.exceptions import InvalidTransition
from bookings.models import AllocationStatus, FreeUseBasis, LegalRegime
from calls import rules, services
from calls.models import (
    Application,
    ApplicationLog,
    ApplicationStatus,
    CallStatus,
    ReviewerAssignment,
)
from calls.selectors import application_missing_items
from tests.calls.conftest import (
    DEADLINE,
    GRID,
    complete_draft,
    draft_call,
    member_of_new_structure,
    submitted,
)
from tests.factories import (
    CallFactory,
    CallLotFactory,
    CriterionFactory,
    MembershipFactory,
    OrganisationDocumentFactory,
    OrganisationFactory,
    SpaceFactory,
    UserFactory,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English, the language of the source strings."""
    with translation.override("en"):
        yield


def statuses(call) -> str:
    call.refresh_from_db()
    return call.status


# --- Calls: draft → published → closed → decided ---------------------------------------------


def test_call_create_drafts_a_call_with_its_lots_in_order(manager, commune, office, workshop):
    call = draft_call(actor=manager, owner=commune.organisation, spaces=[workshop, office])

    assert call.status == CallStatus.DRAFT
    assert [(lot.position, lot.space) for lot in call.lots.all()] == [(1, workshop), (2, office)]


def test_call_create_uses_the_default_grid_unless_given_one(manager, commune, office):
    call = draft_call(actor=manager, owner=commune.organisation, spaces=[office], criteria=None)

    grid = [(c.name, c.weight, c.description) for c in call.criteria.all()]
    assert grid == rules.DEFAULT_CRITERIA
    assert sum(weight for _n, weight, _d in grid) == 100


def test_call_create_refuses_a_space_not_offered_long_term(manager, commune, site):
    hall = SpaceFactory(site=site, allocatable=False)

    with pytest.raises(ValidationError) as error:
        draft_call(actor=manager, owner=commune.organisation, spaces=[hall])

    assert "spaces" in error.value.message_dict


def test_call_create_refuses_spaces_the_actor_does_not_manage(manager, commune, other_site):
    elsewhere = SpaceFactory(site=other_site, allocatable=True)

    with pytest.raises(PermissionDenied):
        draft_call(actor=manager, owner=commune.organisation, spaces=[elsewhere])


def test_call_create_refuses_an_owner_the_actor_does_not_act_for(manager, office):
    with pytest.raises(PermissionDenied):
        draft_call(
            actor=manager, owner=OrganisationFactory(kind=OrganisationKind.COMMUNE), spaces=[office]
        )


def test_call_create_refuses_a_deadline_in_the_past(manager, commune, office):
    with pytest.raises(ValidationError) as error:
        draft_call(
            actor=manager, owner=commune.organisation, spaces=[office], deadline=paris(2027, 1, 1)
        )

    assert "deadline" in error.value.message_dict


def test_call_update_changes_a_draft(draft, manager, commune, office):
    services.call_update(
        call=draft,
        actor=manager,
        owner=commune.organisation,
        title="Un bureau au rez-de-chaussée",
        presentation="Autre texte",
        eligibility="Associations",
        spaces=[office],
        required_documents=[DocumentKind.STATUTES],
        deadline=None,
    )

    draft.refresh_from_db()
    assert (draft.title, draft.deadline, draft.required_documents) == (
        "Un bureau au rez-de-chaussée",
        None,
        ["statutes"],
    )
    assert [lot.space for lot in draft.lots.all()] == [office]


def test_call_update_is_refused_once_published(call, manager, commune, office):
    with pytest.raises(ValidationError) as error:
        services.call_update(
            call=call,
            actor=manager,
            owner=commune.organisation,
            title="Changed",
            presentation="x",
            eligibility="x",
            spaces=[office],
            required_documents=[],
            deadline=None,
        )

    assert error.value.messages == ["The call was published: it can no longer change."]
    call.refresh_from_db()
    assert call.title != "Changed"


def test_criteria_set_replaces_the_grid_of_a_draft(draft, manager):
    services.criteria_set(
        call=draft, criteria=[("Emploi", 70, ""), ("Ancrage", 30, "CCAS")], actor=manager
    )

    assert [(c.name, c.weight, c.position) for c in draft.criteria.all()] == [
        ("Emploi", 70, 1),
        ("Ancrage", 30, 2),
    ]


@pytest.mark.parametrize("criteria", [[], [("Emploi", 0, "")], [("  ", 10, "")]])
def test_criteria_set_refuses_an_empty_grid_a_zero_weight_or_a_blank_name(draft, manager, criteria):
    with pytest.raises(ValidationError):
        services.criteria_set(call=draft, criteria=criteria, actor=manager)


def test_call_publish_opens_the_call_and_freezes_a_snapshot_of_the_grid(draft, manager):
    changed = services.call_publish(call=draft, actor=manager)

    draft.refresh_from_db()
    assert changed is True
    assert draft.status == CallStatus.PUBLISHED
    assert draft.published_at is not None
    assert draft.published_criteria == [
        {"name": name, "weight": weight, "description": description}
        for name, weight, description in GRID
    ]
    assert draft.published_criteria == [
        {"name": c.name, "weight": c.weight, "description": c.description}
        for c in draft.criteria.all()
    ]


def test_call_publish_twice_changes_nothing(call, manager):
    published_at = call.published_at

    assert services.call_publish(call=call, actor=manager) is False

    call.refresh_from_db()
    assert call.published_at == published_at


def test_criteria_set_is_refused_after_publication(call, manager):
    with pytest.raises(ValidationError) as error:
        services.criteria_set(call=call, criteria=[("Autre", 100, "")], actor=manager)

    assert error.value.message_dict == {
        "criteria": ["The criteria were published: they can no longer change."]
    }
    assert [c.name for c in call.criteria.all()] == [name for name, _w, _d in GRID]


def test_call_publish_refuses_a_deadline_that_has_passed(draft, manager):
    with time_machine.travel(DEADLINE, tick=False), pytest.raises(ValidationError):
        services.call_publish(call=draft, actor=manager)

    assert statuses(draft) == CallStatus.DRAFT


def test_call_publish_refuses_a_call_without_lots(manager, commune):
    call = CallFactory(owner=commune.organisation)

    with pytest.raises(ValidationError):
        services.call_publish(call=call, actor=manager)


def test_call_close_closes_a_published_call(call, manager):
    assert services.call_close(call=call, actor=manager) is True

    assert statuses(call) == CallStatus.CLOSED


def test_call_close_refuses_a_draft(draft, manager):
    with pytest.raises(InvalidTransition) as error:
        services.call_close(call=draft, actor=manager)

    assert "Draft" in error.value.message()
    assert statuses(draft) == CallStatus.DRAFT


def test_call_publish_refuses_a_closed_call(call, manager):
    services.call_close(call=call, actor=manager)

    with pytest.raises(InvalidTransition):
        services.call_publish(call=call, actor=manager)


def test_calls_close_past_deadline_closes_only_the_calls_past_their_deadline(
    call, manager, commune, office
):
    rolling = draft_call(
        actor=manager, owner=commune.organisation, spaces=[office], deadline=None, title="Rolling"
    )
    services.call_publish(call=rolling, actor=manager)

    with time_machine.travel(DEADLINE, tick=False):
        closed = services.calls_close_past_deadline()

    assert closed == 1
    assert (statuses(call), statuses(rolling)) == (CallStatus.CLOSED, CallStatus.PUBLISHED)


def test_call_decide_records_the_deliberation_once_every_application_is_decided(
    call, manager, application
):
    services.call_close(call=call, actor=manager)
    services.application_refuse(application=application, actor=manager, reason="Hors périmètre")

    services.call_decide(
        call=call, actor=manager, reference="2027-014", decided_on=date(2027, 2, 15)
    )

    call.refresh_from_db()
    assert (call.status, call.deliberation_reference, call.deliberation_date) == (
        CallStatus.DECIDED,
        "2027-014",
        date(2027, 2, 15),
    )


def test_call_decide_is_refused_while_an_application_awaits_a_decision(call, manager, application):
    services.call_close(call=call, actor=manager)

    with pytest.raises(ValidationError):
        services.call_decide(
            call=call, actor=manager, reference="2027-014", decided_on=date(2027, 2, 15)
        )

    assert statuses(call) == CallStatus.CLOSED


def test_call_decide_is_refused_while_the_call_is_open(call, manager):
    with pytest.raises(InvalidTransition):
        services.call_decide(
            call=call, actor=manager, reference="2027-014", decided_on=date(2027, 2, 15)
        )


def test_call_decide_needs_a_decision_number(call, manager):
    services.call_close(call=call, actor=manager)

    with pytest.raises(ValidationError) as error:
        services.call_decide(call=call, actor=manager, reference=" ", decided_on=date(2027, 2, 15))

    assert "deliberation_reference" in error.value.message_dict


# --- Applications: draft → submitted → accepted/refused, withdraw ----------------------------


def test_application_start_opens_a_draft(call, association, applicant):
    application = services.application_start(call=call, structure=association, actor=applicant)

    assert (application.status, application.submitted_by) == (ApplicationStatus.DRAFT, applicant)


def test_application_start_is_refused_for_a_structure_the_user_is_not_a_member_of(
    call, association, outsider
):
    with pytest.raises(PermissionDenied):
        services.application_start(call=call, structure=association, actor=outsider)


def test_application_start_is_refused_for_a_public_body(call, manager, commune):
    with pytest.raises(PermissionDenied):
        services.application_start(call=call, structure=commune.organisation, actor=manager)


def test_application_start_is_refused_on_a_draft_call(draft, association, applicant):
    with pytest.raises(ValidationError):
        services.application_start(call=draft, structure=association, actor=applicant)


def test_application_start_is_refused_after_the_deadline(call, association, applicant):
    with time_machine.travel(DEADLINE, tick=False), pytest.raises(ValidationError):
        services.application_start(call=call, structure=association, actor=applicant)


def test_application_start_is_refused_twice_for_one_structure(call, association, applicant):
    services.application_start(call=call, structure=association, actor=applicant)

    with pytest.raises(ValidationError) as error:
        services.application_start(call=call, structure=association, actor=applicant)

    assert error.value.messages == ["Your structure has already applied to this call."]


def test_application_start_is_allowed_again_after_a_withdrawal(call, association, applicant):
    first = services.application_start(call=call, structure=association, actor=applicant)
    services.application_withdraw(application=first, actor=applicant)

    second = services.application_start(call=call, structure=association, actor=applicant)

    assert second.pk != first.pk


def test_application_update_ranks_the_lots_and_attaches_the_documents(
    call, association, applicant, office, workshop
):
    application = complete_draft(
        call=call,
        structure=association,
        actor=applicant,
        lots=[workshop_lot(call), office_lot(call)],
    )

    ranked = [(p.rank, p.lot.space) for p in application.preferences.all()]
    assert ranked == [(1, workshop), (2, office)]
    assert sorted(d.kind for d in application.documents.all()) == ["insurance", "statutes"]


def office_lot(call):
    return call.lots.get(space__name="Bureau 12")


def workshop_lot(call):
    return call.lots.get(space__name="Atelier 3")


def test_application_update_refuses_a_lot_ranked_twice(call, association, applicant):
    with pytest.raises(ValidationError) as error:
        complete_draft(
            call=call,
            structure=association,
            actor=applicant,
            lots=[office_lot(call), office_lot(call)],
        )

    assert "lots" in error.value.message_dict


def test_application_update_refuses_a_lot_of_another_call(call, association, applicant):
    foreign = CallLotFactory()

    with pytest.raises(ValidationError):
        complete_draft(call=call, structure=association, actor=applicant, lots=[foreign])


def test_application_update_refuses_another_structures_document(call, association, applicant):
    application = services.application_start(call=call, structure=association, actor=applicant)

    with pytest.raises(PermissionDenied):
        services.application_update(
            application=application,
            actor=applicant,
            project="x",
            needed_surface_m2=None,
            needed_kind="",
            wanted_start=None,
            duration_months=None,
            lots_ranked=[],
            documents=[OrganisationDocumentFactory()],
            republican_commitment_signatory="",
        )


def test_application_update_keeps_the_date_of_the_republican_commitment(
    call, association, applicant
):
    application = complete_draft(call=call, structure=association, actor=applicant)
    signed_at = application.republican_commitment_at

    with time_machine.travel(paris(2027, 1, 5, 10), tick=False):
        application = complete_draft_again(application)

    assert application.republican_commitment_at == signed_at


def complete_draft_again(application):
    return services.application_update(
        application=application,
        actor=application.submitted_by,
        project="Projet révisé",
        needed_surface_m2=30,
        needed_kind="office",
        wanted_start=None,
        duration_months=24,
        lots_ranked=list(application.call.lots.all()),
        documents=list(application.documents.all()),
        republican_commitment_signatory=application.republican_commitment_signatory,
    )


def test_application_submit_sends_a_complete_draft(call, association, applicant):
    application = complete_draft(call=call, structure=association, actor=applicant)

    changed = services.application_submit(application=application, actor=applicant)

    application.refresh_from_db()
    assert changed is True
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None
    assert [(e.from_status, e.to_status, e.actor) for e in application.log.all()] == [
        ("draft", "submitted", applicant)
    ]


def test_application_submit_twice_changes_nothing(application, applicant):
    assert services.application_submit(application=application, actor=applicant) is False

    assert application.log.count() == 1


def test_application_submit_is_refused_after_the_deadline(call, association, applicant):
    application = complete_draft(call=call, structure=association, actor=applicant)

    with time_machine.travel(DEADLINE, tick=False), pytest.raises(ValidationError):
        services.application_submit(application=application, actor=applicant)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_application_submit_is_refused_for_a_withdrawn_application(call, association, applicant):
    application = complete_draft(call=call, structure=association, actor=applicant)
    services.application_withdraw(application=application, actor=applicant)

    with pytest.raises(InvalidTransition):
        services.application_submit(application=application, actor=applicant)


def test_application_update_is_refused_once_submitted(application):
    with pytest.raises(ValidationError):
        complete_draft_again(application)


def test_application_withdraw_withdraws_a_draft(call, association, applicant):
    application = services.application_start(call=call, structure=association, actor=applicant)

    services.application_withdraw(application=application, actor=applicant, reason="Autre local")

    entry = ApplicationLog.objects.get(application=application)
    assert (entry.from_status, entry.to_status, entry.reason) == (
        "draft",
        "withdrawn",
        "Autre local",
    )


def test_application_withdraw_withdraws_a_submitted_application(application, applicant):
    services.application_withdraw(application=application, actor=applicant)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


def test_application_withdraw_is_refused_after_acceptance(application, applicant, manager):
    services.application_accept(
        application=application, actor=manager, lot=office_lot(application.call)
    )

    with pytest.raises(InvalidTransition) as error:
        services.application_withdraw(application=application, actor=applicant)

    assert "Accepted" in error.value.message()


def test_application_accept_gives_a_lot_and_tells_the_applicant(
    application, manager, django_capture_on_commit_callbacks
):
    lot = office_lot(application.call)

    with django_capture_on_commit_callbacks(execute=True):
        changed = services.application_accept(application=application, actor=manager, lot=lot)

    application.refresh_from_db()
    assert changed is True
    assert (application.status, application.allocated_lot) == (ApplicationStatus.ACCEPTED, lot)
    assert mail.outbox[0].to == ["candidat@example.test"]
    assert "Bureau 12" in mail.outbox[0].body


def test_application_accept_refuses_a_lot_of_another_call(application, manager):
    with pytest.raises(ValidationError):
        services.application_accept(application=application, actor=manager, lot=CallLotFactory())


def test_application_accept_refuses_a_lot_already_given(call, application, manager):
    other_structure, other_user = member_of_new_structure("Repair Café", "repair@example.test")
    other = submitted(call=call, structure=other_structure, actor=other_user)
    services.application_accept(application=application, actor=manager, lot=office_lot(call))

    with pytest.raises(ValidationError) as error:
        services.application_accept(application=other, actor=manager, lot=office_lot(call))

    assert "lot" in error.value.message_dict
    other.refresh_from_db()
    assert other.status == ApplicationStatus.SUBMITTED


def test_application_accept_refuses_a_draft(call, association, applicant, manager):
    application = complete_draft(call=call, structure=association, actor=applicant)

    with pytest.raises(InvalidTransition):
        services.application_accept(application=application, actor=manager, lot=office_lot(call))


def test_application_refuse_sends_the_reasons(
    application, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_refuse(
            application=application, actor=manager, reason="Projet sans lien avec le territoire."
        )

    application.refresh_from_db()
    assert application.status == ApplicationStatus.REFUSED
    assert application.decision_reason == "Projet sans lien avec le territoire."
    assert "Projet sans lien avec le territoire." in mail.outbox[0].body


def test_application_refuse_needs_reasons(application, manager):
    with pytest.raises(ValidationError) as error:
        services.application_refuse(application=application, actor=manager, reason="  ")

    assert "reason" in error.value.message_dict
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_application_refuse_is_refused_after_acceptance(application, manager):
    services.application_accept(
        application=application, actor=manager, lot=office_lot(application.call)
    )

    with pytest.raises(InvalidTransition):
        services.application_refuse(application=application, actor=manager, reason="Non")


def test_application_offer_agreement_offers_the_lot_to_the_accepted_applicant(application, manager):
    services.application_accept(
        application=application, actor=manager, lot=office_lot(application.call)
    )

    allocation = services.application_offer_agreement(
        application=application,
        actor=manager,
        start=date(2027, 4, 1),
        end=date(2030, 4, 1),
        legal_regime=LegalRegime.PUBLIC_DOMAIN,
        free_use_basis=FreeUseBasis.L2125_1,
    )

    application.refresh_from_db()
    assert application.allocation == allocation
    assert allocation.status == AllocationStatus.OFFERED
    assert list(allocation.spaces.all()) == [office_lot(application.call).space]
    assert allocation.direct_reason == ""


def test_application_offer_agreement_twice_gives_the_same_agreement(application, manager):
    services.application_accept(
        application=application, actor=manager, lot=office_lot(application.call)
    )
    terms = {"start": date(2027, 4, 1), "end": date(2030, 4, 1), "annual_fee_cents": 120_000}
    first = services.application_offer_agreement(application=application, actor=manager, **terms)

    second = services.application_offer_agreement(application=application, actor=manager, **terms)

    assert second == first


def test_application_offer_agreement_is_refused_before_acceptance(application, manager):
    with pytest.raises(ValidationError):
        services.application_offer_agreement(
            application=application, actor=manager, start=date(2027, 4, 1), end=date(2030, 4, 1)
        )


# --- Eligibility gates: listed, and blocking the submission ----------------------------------


def _blocked(application, applicant, expected: str) -> None:
    assert expected in application_missing_items(application)
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, actor=applicant)
    assert expected in error.value.messages
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_a_complete_draft_misses_nothing(call, association, applicant):
    application = complete_draft(call=call, structure=association, actor=applicant)

    assert application_missing_items(application) == []


def test_an_unverified_structure_cannot_submit(call, association, applicant):
    application = complete_draft(call=call, structure=association, actor=applicant)
    type(association).objects.filter(pk=association.pk).update(verified_at=None, verified_by=None)
    application.structure.refresh_from_db()

    _blocked(application, applicant, "The intercommunality must first verify your structure.")


def test_a_structure_without_siret_cannot_submit(call, association, applicant):
    application = complete_draft(call=call, structure=association, actor=applicant)
    type(association).objects.filter(pk=association.pk).update(siret="")
    application.structure.refresh_from_db()

    _blocked(
        application,
        applicant,
        "A SIRET is required for any aid in kind, including free premises.",
    )


def test_an_association_must_subscribe_to_the_republican_commitment(call, association, applicant):
    application = complete_draft(
        call=call, structure=association, actor=applicant, republican_commitment_signatory=""
    )

    _blocked(
        application,
        applicant,
        "Acknowledge the republican commitment contract (associations and foundations).",
    )


def test_a_cooperative_needs_no_republican_commitment(call):
    scop, user = member_of_new_structure("Scop du Hainaut", "scop@example.test", ess_family="scop")

    application = complete_draft(
        call=call, structure=scop, actor=user, republican_commitment_signatory=""
    )

    assert application_missing_items(application) == []


def test_a_missing_insurance_certificate_blocks_the_submission(call, association, applicant):
    statutes = OrganisationDocumentFactory(organisation=association, kind=DocumentKind.STATUTES)
    application = complete_draft(
        call=call, structure=association, actor=applicant, documents=[statutes]
    )

    _blocked(application, applicant, "Attach this document: Insurance certificate.")


def test_an_expired_insurance_certificate_blocks_the_submission(call, association, applicant):
    statutes = OrganisationDocumentFactory(organisation=association, kind=DocumentKind.STATUTES)
    insurance = OrganisationDocumentFactory(
        organisation=association, kind=DocumentKind.INSURANCE, expires_on=date(2027, 3, 1)
    )
    application = complete_draft(
        call=call,
        structure=association,
        actor=applicant,
        documents=[statutes, insurance],
        wanted_start=date(2027, 4, 1),
    )

    _blocked(application, applicant, "This document has expired: Insurance certificate.")


def test_a_newer_insurance_certificate_outweighs_an_expired_one(call, association, applicant):
    documents = [
        OrganisationDocumentFactory(organisation=association, kind=DocumentKind.STATUTES),
        OrganisationDocumentFactory(
            organisation=association, kind=DocumentKind.INSURANCE, expires_on=date(2028, 1, 1)
        ),
        OrganisationDocumentFactory(
            organisation=association, kind=DocumentKind.INSURANCE, expires_on=date(2026, 1, 1)
        ),
    ]

    application = complete_draft(
        call=call, structure=association, actor=applicant, documents=documents
    )

    assert application_missing_items(application) == []


def test_a_draft_without_project_or_lot_lists_both(call, association, applicant):
    application = complete_draft(
        call=call, structure=association, actor=applicant, project=" ", lots=[]
    )

    missing = application_missing_items(application)

    assert {"Describe your project.", "Rank at least one lot."} <= set(missing)


# --- Reviewers: declaration, conflict of interest, scores ------------------------------------


def test_reviewer_declare_needs_a_note_with_a_conflict(call):
    assignment = services.reviewer_assign(call=call, reviewer=UserFactory(), actor=call.created_by)

    with pytest.raises(ValidationError) as error:
        services.reviewer_declare(
            assignment=assignment, conflict_of_interest=True, note="", actor=assignment.reviewer
        )

    assert "conflict_note" in error.value.message_dict


def test_reviewer_declare_a_conflict_is_final(call):
    assignment = services.reviewer_assign(call=call, reviewer=UserFactory(), actor=call.created_by)
    services.reviewer_declare(
        assignment=assignment,
        conflict_of_interest=True,
        note="Trésorier d'un candidat",
        actor=assignment.reviewer,
    )

    with pytest.raises(ValidationError):
        services.reviewer_declare(
            assignment=assignment, conflict_of_interest=False, actor=assignment.reviewer
        )

    assignment.refresh_from_db()
    assert assignment.conflict_of_interest is True


def test_reviewer_assign_twice_keeps_one_assignment(call):
    user = UserFactory()

    services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)

    assert ReviewerAssignment.objects.filter(call=call, reviewer=user).count() == 1


def test_score_record_saves_and_updates_a_mark(application, reviewer):
    criterion = application.call.criteria.first()
    services.score_record(application=application, reviewer=reviewer, criterion=criterion, mark=4)

    score = services.score_record(
        application=application, reviewer=reviewer, criterion=criterion, mark=7, comment=" Bien "
    )

    assert (score.mark, score.comment) == (7, "Bien")
    assert application.scores.count() == 1


def test_score_record_refuses_a_reviewer_not_assigned(application):
    with pytest.raises(PermissionDenied):
        services.score_record(
            application=application,
            reviewer=UserFactory(),
            criterion=application.call.criteria.first(),
            mark=5,
        )


def test_score_record_refuses_a_reviewer_who_has_not_declared(application):
    user = UserFactory()
    services.reviewer_assign(
        call=application.call, reviewer=user, actor=application.call.created_by
    )

    with pytest.raises(ValidationError):
        services.score_record(
            application=application,
            reviewer=user,
            criterion=application.call.criteria.first(),
            mark=5,
        )


def test_score_record_refuses_a_conflicted_reviewer(application):
    user = UserFactory()
    assignment = services.reviewer_assign(
        call=application.call, reviewer=user, actor=application.call.created_by
    )
    services.reviewer_declare(
        assignment=assignment, conflict_of_interest=True, note="Salariée", actor=assignment.reviewer
    )

    with pytest.raises(ValidationError):
        services.score_record(
            application=application,
            reviewer=user,
            criterion=application.call.criteria.first(),
            mark=5,
        )

    assert not application.scores.exists()


@pytest.mark.parametrize("mark", [-1, 11])
def test_score_record_refuses_a_mark_out_of_range(application, reviewer, mark):
    with pytest.raises(ValidationError):
        services.score_record(
            application=application,
            reviewer=reviewer,
            criterion=application.call.criteria.first(),
            mark=mark,
        )


def test_score_record_refuses_a_criterion_of_another_call(application, reviewer):
    with pytest.raises(ValidationError):
        services.score_record(
            application=application, reviewer=reviewer, criterion=CriterionFactory(), mark=5
        )


def test_score_record_refuses_a_decided_application(application, reviewer, manager):
    services.application_refuse(application=application, actor=manager, reason="Non retenu")

    with pytest.raises(ValidationError):
        services.score_record(
            application=application,
            reviewer=reviewer,
            criterion=application.call.criteria.first(),
            mark=5,
        )


def test_scores_record_saves_all_marks_or_none(application, reviewer):
    first, second = application.call.criteria.all()

    with pytest.raises(ValidationError):
        services.scores_record(
            application=application,
            reviewer=reviewer,
            marks=[(first, 8, ""), (second, 12, "")],
        )

    assert not application.scores.exists()


def test_membership_of_an_epci_does_not_make_a_structure(call, epci):
    user = MembershipFactory(organisation=epci, user=UserFactory()).user

    with pytest.raises(PermissionDenied):
        services.application_start(call=call, structure=epci, actor=user)

    assert not Application.objects.exists()
