"""Who may do what to a call, an application or a review: the checks the services of calls make
with the actor they are given, whatever the caller (page, API, command).

Outsiders, who do not see the object, get PermissionDenied (404); those who see it but may not
act get DecisionNotAllowed (403). The platform (`PLATFORM`) only closes calls at their deadline.
"""

from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform
from accounts.conflicts import decision_check_impartial
from accounts.exceptions import DecisionNotAllowed
from bookings.models import CommentSide
from calls.models import Application, Call, ReviewerAssignment
from calls.selectors import (
    applications_decidable_by,
    applications_of_applicant,
    applications_visible_to,
    calls_manageable_by,
    calls_visible_to,
)


def _check(actor: Actor, allowed: QuerySet, visible: QuerySet, pk: int) -> None:
    if not is_platform(actor) and allowed.filter(pk=pk).exists():
        return
    _refuse(visible.filter(pk=pk).exists() and not is_platform(actor))


def _refuse(seen: bool) -> NoReturn:
    if seen:
        raise DecisionNotAllowed(_("You are not allowed to do this."))
    raise PermissionDenied


def call_check_manager(*, actor: Actor, call: Call) -> None:
    """Refuse to change, publish, close or decide `call`, or assign its reviewers, unless
    `actor` runs it (calls_manageable_by)."""
    if is_platform(actor):
        raise PermissionDenied
    _check(actor, calls_manageable_by(actor), calls_visible_to(actor), call.pk)


def application_check_applicant(*, actor: Actor, application: Application) -> None:
    """Refuse to edit, submit or withdraw `application` unless `actor` belongs to its structure."""
    if is_platform(actor):
        raise PermissionDenied
    _check(actor, applications_of_applicant(actor), applications_visible_to(actor), application.pk)


def application_check_decider(*, actor: Actor, application: Application) -> None:
    """Refuse to accept or refuse `application` unless `actor` runs its call and does not belong
    to the applicant (ConflictOfInterest). Whether it was sent is the transition's business
    (InvalidTransition, 409)."""
    if is_platform(actor):
        raise PermissionDenied
    _check(actor, calls_manageable_by(actor), calls_visible_to(actor), application.call_id)
    decision_check_impartial(actor=actor, organisation=application.structure)


def assignment_check_reviewer(*, actor: Actor, assignment: ReviewerAssignment) -> None:
    """Refuse a declaration of interests made by anyone but the assigned reviewer."""
    if is_platform(actor) or assignment.reviewer_id != actor.pk:
        raise PermissionDenied


def application_comment_side(*, actor: Actor, application: Application) -> CommentSide:
    """The side `actor` writes on in the conversation of `application`: its structure's
    members as the applicant (`CommentSide.REQUESTER`; a call manager who is one of them too
    talks as one), those who decide on the call's applications as `CommentSide.MANAGER`.
    A draft has no conversation (the call's managers do not see it), nor an application
    withdrawn before it was sent. Reviewers who do not decide, other structures and the
    platform get PermissionDenied (404): both sides, and only they, see the conversation."""
    if is_platform(actor) or application.submitted_at is None:
        raise PermissionDenied
    if applications_of_applicant(actor).filter(pk=application.pk).exists():
        return CommentSide.REQUESTER
    if applications_decidable_by(actor).filter(pk=application.pk).exists():
        return CommentSide.MANAGER
    raise PermissionDenied
