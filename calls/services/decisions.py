"""Writes on decisions about applications: accept (for a lot), refuse (with reasons), offer the
occupancy agreement. The applicant structure's members are told by `calls.notifications`."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from bookings.allocations import allocation_offer
from bookings.models import Allocation
from calls import notifications
from calls.models import (
    Application,
    ApplicationStatus,
    CallLot,
)
from calls.permissions import application_check_decider
from calls.services.applications import _application_transition


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
        notifications.application_decided_notify(application)
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
        notifications.application_decided_notify(application)
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
