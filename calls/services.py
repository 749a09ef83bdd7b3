"""Writes on calls for applications, applications and reviews."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, logged_actor
from accounts.models import Organisation, OrganisationDocument, OrganisationKind, User
from accounts.selectors import organisations_of
from bookings.allocations import allocation_offer
from bookings.models import Allocation
from calls import rules
from calls.exceptions import ApplicationInvalidTransition, CallInvalidTransition
from calls.models import (
    APPLICATION_TRANSITIONS,
    CALL_TRANSITIONS,
    Application,
    ApplicationLog,
    ApplicationStatus,
    Call,
    CallLog,
    CallLot,
    CallStatus,
    Criterion,
    Preference,
    ReviewerAssignment,
    Score,
)
from calls.permissions import (
    application_check_applicant,
    application_check_decider,
    call_check_manager,
)
from calls.selectors import application_missing_items, call_accepts_applications
from core.history import history_actor
from core.mail import mail_send
from core.workflow import status_change
from spaces.models import Space
from spaces.selectors import site_owners_for, spaces_manageable_by


def _check_call_terms(
    *, actor: User, owner: Organisation, spaces: list[Space], deadline: datetime | None
) -> None:
    if not site_owners_for(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied
    errors = {}
    if not spaces:
        errors["spaces"] = _("Choose at least one vacant space.")
    elif spaces_manageable_by(actor).filter(pk__in=[s.pk for s in spaces]).count() != len(spaces):
        raise PermissionDenied
    elif any(not space.allocatable for space in spaces):
        errors["spaces"] = _("Some of these spaces are not offered for long-term occupancy.")
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    if errors:
        raise ValidationError(errors)


def _lots_set(call: Call, spaces: list[Space]) -> None:
    call.lots.all().delete()
    CallLot.objects.bulk_create(
        [
            CallLot(call=call, space=space, position=index)
            for index, space in enumerate(spaces, start=1)
        ]
    )


@transaction.atomic
def call_create(
    *,
    actor: User,
    owner: Organisation,
    title: str,
    presentation: str,
    eligibility: str,
    spaces: list[Space],
    required_documents: list[str],
    deadline: datetime | None,
    criteria: list[tuple[str, int, str]] | None = None,
) -> Call:
    """Draft a call over spaces the actor manages, with the default grid unless given one."""
    _check_call_terms(actor=actor, owner=owner, spaces=spaces, deadline=deadline)
    call = Call.objects.create(
        owner=owner,
        title=title.strip(),
        presentation=presentation.strip(),
        eligibility=eligibility.strip(),
        required_documents=required_documents,
        deadline=deadline,
        created_by=actor,
    )
    _lots_set(call, spaces)
    criteria_set(call=call, criteria=criteria or rules.DEFAULT_CRITERIA, actor=actor)
    return call


@transaction.atomic
def call_update(
    *,
    call: Call,
    actor: User,
    owner: Organisation,
    title: str,
    presentation: str,
    eligibility: str,
    spaces: list[Space],
    required_documents: list[str],
    deadline: datetime | None,
) -> Call:
    """Change a draft call. Once published, the call binds its authority: any change is refused."""
    call_check_manager(actor=actor, call=call)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.status != CallStatus.DRAFT:
        raise ValidationError(_("The call was published: it can no longer change."))
    _check_call_terms(actor=actor, owner=owner, spaces=spaces, deadline=deadline)
    call.owner = owner
    call.title = title.strip()
    call.presentation = presentation.strip()
    call.eligibility = eligibility.strip()
    call.required_documents = required_documents
    call.deadline = deadline
    call.save(
        update_fields=[
            "owner",
            "title",
            "presentation",
            "eligibility",
            "required_documents",
            "deadline",
        ]
    )
    if [lot.space_id for lot in call.lots.all()] != [space.pk for space in spaces]:
        _lots_set(call, spaces)
    return call


@transaction.atomic
def criteria_set(*, call: Call, criteria: list[tuple[str, int, str]], actor: User) -> None:
    """Replace the grid of a draft call. Once published, the grid is frozen: refused.

    Criteria are deleted and created one by one (not in bulk) so that the field history keeps
    each removed and added criterion, signed by `actor`.
    """
    call_check_manager(actor=actor, call=call)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.status != CallStatus.DRAFT:
        raise ValidationError(
            {"criteria": _("The criteria were published: they can no longer change.")}
        )
    if not criteria or any(
        weight < 1 or not name.strip() for name, weight, _description in criteria
    ):
        raise ValidationError(
            {
                "criteria": _(
                    "Give at least one criterion, each with a name and a weight of at least 1."
                )
            }
        )
    with history_actor(actor):
        call.criteria.all().delete()
        for index, (name, weight, description) in enumerate(criteria, start=1):
            Criterion.objects.create(
                call=call,
                name=name.strip(),
                weight=weight,
                description=description.strip(),
                position=index,
            )


def _call_transition(call: Call, to: str, actor: Actor, reason: str = "") -> bool:
    """Change the call's status and log it (CallLog) in the same transaction."""
    from_status = status_change(
        call, to=to, transitions=CALL_TRANSITIONS, error=CallInvalidTransition
    )
    if from_status is None:
        return False
    CallLog.objects.create(
        call=call, from_status=from_status, to_status=to, actor=logged_actor(actor), reason=reason
    )
    return True


@transaction.atomic
def call_publish(*, call: Call, actor: User) -> bool:
    """Open the call; its criteria and weights are frozen from now on (a snapshot is kept)."""
    call_check_manager(actor=actor, call=call)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.deadline is not None and call.deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})
    if not call.lots.exists() or not call.criteria.exists():
        raise ValidationError(_("A call needs at least one lot and one criterion."))
    changed = _call_transition(call, CallStatus.PUBLISHED, actor)
    if changed:
        Call.objects.filter(pk=call.pk).update(
            published_at=timezone.now(),
            published_criteria=[
                {"name": c.name, "weight": c.weight, "description": c.description}
                for c in call.criteria.all()
            ],
        )
    return changed


@transaction.atomic
def call_close(*, call: Call, actor: User) -> bool:
    call_check_manager(actor=actor, call=call)
    return _call_transition(call, CallStatus.CLOSED, actor)


def calls_close_past_deadline(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    closed = 0
    for call in Call.objects.filter(status=CallStatus.PUBLISHED, deadline__lte=now):
        with transaction.atomic():
            closed += _call_transition(call, CallStatus.CLOSED, PLATFORM)
    return closed


@transaction.atomic
def call_decide(*, call: Call, actor: User, reference: str, decided_on: date) -> bool:
    """Record the deliberation; every submitted application must have been decided."""
    call_check_manager(actor=actor, call=call)
    if not reference.strip():
        raise ValidationError({"deliberation_reference": _("Give the decision number.")})
    call = Call.objects.select_for_update().get(pk=call.pk)  # no decision slips in meanwhile
    if call.applications.filter(status=ApplicationStatus.SUBMITTED).exists():
        raise ValidationError(_("Decide on every application first."))
    reference = reference.strip()
    changed = _call_transition(
        call, CallStatus.DECIDED, actor, f"{reference} ({decided_on.isoformat()})"
    )
    if changed:  # a repeated decision never overwrites the recorded deliberation
        Call.objects.filter(pk=call.pk).update(
            deliberation_reference=reference, deliberation_date=decided_on
        )
    return changed


@transaction.atomic
def application_start(*, call: Call, structure: Organisation, actor: User) -> Application:
    """Open a draft application of `structure` (one of the actor's ESS structures)."""
    if not organisations_of(actor).filter(pk=structure.pk, kind=OrganisationKind.ESS).exists():
        raise PermissionDenied
    if not call_accepts_applications(call):
        raise ValidationError(_("This call is not open for applications."))
    try:
        with transaction.atomic():
            return Application.objects.create(
                call=call, structure=structure, submitted_by=actor, project=""
            )
    except IntegrityError as exc:
        raise ValidationError(_("Your structure has already applied to this call.")) from exc


@transaction.atomic
def application_update(
    *,
    application: Application,
    project: str,
    needed_surface_m2: int | None,
    needed_kind: str,
    wanted_start: date | None,
    duration_months: int | None,
    lots_ranked: list[CallLot],
    documents: list[OrganisationDocument],
    republican_commitment_signatory: str,
) -> Application:
    """Save a draft: its details, ranked lots, attached documents and the republican commitment."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.DRAFT:
        raise ValidationError(_("A submitted application can no longer change."))
    if any(lot.call_id != application.call_id for lot in lots_ranked):
        raise ValidationError({"lots": _("Choose lots of this call.")})
    if len({lot.pk for lot in lots_ranked}) != len(lots_ranked):
        raise ValidationError({"lots": _("Rank each lot only once.")})
    if any(document.organisation_id != application.structure_id for document in documents):
        raise PermissionDenied
    application.project = project.strip()
    application.needed_surface_m2 = needed_surface_m2
    application.needed_kind = needed_kind
    application.wanted_start = wanted_start
    application.duration_months = duration_months
    signatory = republican_commitment_signatory.strip()
    if signatory != application.republican_commitment_signatory or not signatory:
        # The acknowledgement is dated when given (or given by someone else), not at every save.
        application.republican_commitment_at = timezone.now() if signatory else None
    application.republican_commitment_signatory = signatory
    application.save()
    application.preferences.all().delete()
    Preference.objects.bulk_create(
        [
            Preference(application=application, lot=lot, rank=rank)
            for rank, lot in enumerate(lots_ranked, start=1)
        ]
    )
    application.documents.set(documents)
    return application


@transaction.atomic
def application_create(
    *,
    call: Call,
    structure: Organisation,
    actor: User,
    project: str,
    needed_surface_m2: int | None,
    needed_kind: str,
    wanted_start: date | None,
    duration_months: int | None,
    lots_ranked: list[CallLot],
    documents: list[OrganisationDocument],
    republican_commitment_signatory: str,
) -> Application:
    """Start and fill a draft in one go (the API's create): both happen, or neither."""
    application = application_start(call=call, structure=structure, actor=actor)
    return application_update(
        application=application,
        project=project,
        needed_surface_m2=needed_surface_m2,
        needed_kind=needed_kind,
        wanted_start=wanted_start,
        duration_months=duration_months,
        lots_ranked=lots_ranked,
        documents=documents,
        republican_commitment_signatory=republican_commitment_signatory,
    )


def _application_transition(
    application: Application, to: str, actor: Actor, reason: str = ""
) -> bool:
    from_status = status_change(
        application, to=to, transitions=APPLICATION_TRANSITIONS, error=ApplicationInvalidTransition
    )
    if from_status is None:
        return False
    ApplicationLog.objects.create(
        application=application,
        from_status=from_status,
        to_status=to,
        actor=logged_actor(actor),
        reason=reason,
    )
    return True


@transaction.atomic
def application_submit(*, application: Application, actor: User) -> bool:
    """Submit; refused with the list of what is missing (ValidationError)."""
    application_check_applicant(actor=actor, application=application)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call")
        .get(pk=application.pk)
    )
    if application.status == ApplicationStatus.SUBMITTED:
        return False
    if application.status != ApplicationStatus.DRAFT:
        raise ApplicationInvalidTransition(application.status, ApplicationStatus.SUBMITTED)
    call = application.call
    if not call_accepts_applications(call):
        raise ValidationError(_("This call is not open for applications."))
    missing = application_missing_items(application)
    if missing:
        raise ValidationError(missing)
    changed = _application_transition(application, ApplicationStatus.SUBMITTED, actor)
    if changed:
        Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now())
    return changed


@transaction.atomic
def application_withdraw(*, application: Application, actor: User, reason: str = "") -> bool:
    application_check_applicant(actor=actor, application=application)
    return _application_transition(application, ApplicationStatus.WITHDRAWN, actor, reason)


@transaction.atomic
def reviewer_assign(*, call: Call, reviewer: User) -> ReviewerAssignment:
    assignment, _created = ReviewerAssignment.objects.get_or_create(call=call, reviewer=reviewer)
    return assignment


@transaction.atomic
def reviewer_declare(
    *, assignment: ReviewerAssignment, conflict_of_interest: bool, note: str = ""
) -> None:
    """Declare (no) conflict of interest. A conflicted reviewer's marks no longer count.

    A declared conflict is final: taking it back would let marks count again after the reviewer
    said they should not (the call's manager can remove the assignment instead).
    """
    if conflict_of_interest and not note.strip():
        raise ValidationError({"conflict_note": _("Say briefly what the conflict of interest is.")})
    assignment = (
        ReviewerAssignment.objects.select_for_update(of=("self",))
        .select_related("reviewer")
        .get(pk=assignment.pk)
    )
    if assignment.conflict_of_interest and not conflict_of_interest:
        raise ValidationError(
            {
                "conflict_of_interest": _(
                    "You declared a conflict of interest: this declaration is final."
                )
            }
        )
    assignment.conflict_of_interest = conflict_of_interest
    assignment.conflict_note = note.strip()
    assignment.declared_at = timezone.now()
    # save(), not update(): the field history keeps every declaration, with its author.
    with history_actor(assignment.reviewer):
        assignment.save(update_fields=["conflict_of_interest", "conflict_note", "declared_at"])


@transaction.atomic
def score_record(
    *, application: Application, reviewer: User, criterion: Criterion, mark: int, comment: str = ""
) -> Score:
    """Mark one criterion (0–10). Only assigned reviewers who declared no conflict may score."""
    # Read the status now: a decision taken meanwhile closes the scoring.
    application = Application.objects.select_for_update().get(pk=application.pk)
    assignment = ReviewerAssignment.objects.filter(
        call=application.call_id, reviewer=reviewer
    ).first()
    if assignment is None:
        raise PermissionDenied
    if not assignment.may_score:
        raise ValidationError(
            _(
                "Declare first that you have no conflict of interest; a conflicted reviewer cannot score."
            )
        )
    if (
        application.status != ApplicationStatus.SUBMITTED
        or criterion.call_id != application.call_id
    ):
        raise ValidationError(_("Only submitted applications of this call can be scored."))
    if not 0 <= mark <= rules.MAX_MARK:
        raise ValidationError({"mark": _("A mark goes from 0 to 10.")})
    # A changed mark is saved over the old one; its field history keeps the previous mark.
    with history_actor(reviewer):
        score, _created = Score.objects.update_or_create(
            application=application,
            reviewer=reviewer,
            criterion=criterion,
            defaults={"mark": mark, "comment": comment.strip()},
        )
    return score


@transaction.atomic
def scores_record(
    *,
    application: Application,
    reviewer: User,
    marks: list[tuple[Criterion, int, str]],
) -> list[Score]:
    """Mark several criteria at once (criterion, mark, comment): all are saved, or none."""
    return [
        score_record(
            application=application,
            reviewer=reviewer,
            criterion=criterion,
            mark=mark,
            comment=comment,
        )
        for criterion, mark, comment in marks
    ]


def _notify_decision(application_id: int) -> None:
    application = Application.objects.select_related("call", "structure", "submitted_by").get(
        pk=application_id
    )
    with translation.override("fr"):
        body = render_to_string("emails/application_decided.txt", {"application": application})
    mail_send(
        subject=f"[Locaux Communs] Décision — {application.call.title}",
        body=body,
        recipients=[application.submitted_by.email],
        about=f"application {application.pk}, decision",
    )


@transaction.atomic
def application_accept(*, application: Application, actor: User, lot: CallLot) -> bool:
    """Give the lot to the applicant. Raises ConflictOfInterest if the actor belongs to it."""
    application_check_decider(actor=actor, application=application)
    if lot.call_id != application.call_id:
        raise ValidationError({"lot": _("Choose a lot of this call.")})
    CallLot.objects.select_for_update().get(pk=lot.pk)  # one acceptance per lot at a time
    taken = Application.objects.filter(
        allocated_lot=lot, status=ApplicationStatus.ACCEPTED
    ).exclude(pk=application.pk)
    if taken.exists():
        raise ValidationError({"lot": _("This lot was already given to another applicant.")})
    changed = _application_transition(application, ApplicationStatus.ACCEPTED, actor)
    if changed:
        Application.objects.filter(pk=application.pk).update(allocated_lot=lot)
        transaction.on_commit(lambda: _notify_decision(application.pk))
    return changed


@transaction.atomic
def application_refuse(*, application: Application, actor: User, reason: str) -> bool:
    """Refuse with reasons (required: they are sent to the applicant, as the law expects).
    Raises ConflictOfInterest if the actor belongs to the applicant."""
    application_check_decider(actor=actor, application=application)
    if not reason.strip():
        raise ValidationError(
            {"reason": _("Give the reasons of the refusal: they are sent to the applicant.")}
        )
    changed = _application_transition(application, ApplicationStatus.REFUSED, actor, reason.strip())
    if changed:
        Application.objects.filter(pk=application.pk).update(decision_reason=reason.strip())
        transaction.on_commit(lambda: _notify_decision(application.pk))
    return changed


@transaction.atomic
def application_offer_agreement(
    *, application: Application, actor: User, start: date, end: date, **terms: object
) -> Allocation:
    """Offer the occupancy agreement of an accepted application for its lot."""
    application_check_decider(actor=actor, application=application)
    application = (
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the lot.
        Application.objects.select_for_update(of=("self",))
        .select_related("allocated_lot")
        .get(pk=application.pk)
    )
    if application.status != ApplicationStatus.ACCEPTED or application.allocated_lot is None:
        raise ValidationError(_("Only an accepted application leads to an agreement."))
    if application.allocation_id is not None:
        return application.allocation
    allocation = allocation_offer(
        actor=actor,
        structure=application.structure,
        spaces=[application.allocated_lot.space],
        start=start,
        end=end,
        from_call=True,
        **terms,
    )
    Application.objects.filter(pk=application.pk).update(allocation=allocation)
    return allocation
