"""Writes on reviews: reviewers' assignments, declarations of interest, scores."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from calls import notifications, rules
from calls.models import (
    Application,
    ApplicationStatus,
    Call,
    Criterion,
    ReviewerAssignment,
    Score,
)
from calls.permissions import assignment_check_reviewer, call_check_manager
from core.history import history_actor


@transaction.atomic
def reviewer_assign(*, call: Call, reviewer: User, actor: User) -> ReviewerAssignment:
    """Make `reviewer` a reviewer of `call` (who is told). Raises PermissionDenied (or
    DecisionNotAllowed) unless `actor` runs the call."""
    call_check_manager(actor=actor, call=call)
    assignment, created = ReviewerAssignment.objects.get_or_create(call=call, reviewer=reviewer)
    if created:
        notifications.reviewer_assigned_notify(assignment, actor=actor)
    return assignment


@transaction.atomic
def reviewer_declare(
    *, assignment: ReviewerAssignment, actor: User, conflict_of_interest: bool, note: str = ""
) -> None:
    """Declare (no) conflict of interest. A conflicted reviewer's marks no longer count.
    Only the assigned reviewer declares (PermissionDenied for anyone else).

    A declared conflict is final: taking it back would let marks count again after the reviewer
    said they should not (the call's manager can remove the assignment instead).
    """
    assignment_check_reviewer(actor=actor, assignment=assignment)
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
