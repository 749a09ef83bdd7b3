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
from calls.models import Application, Call, ReviewerAssignment
from calls.selectors import (
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
