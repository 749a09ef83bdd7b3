"""End (at term or early), renewal, and the daily start and end of occupancy agreements."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor
from accounts.models import User
from bookings.allocations.actions import AllocationAction, allocation_check_actor
from bookings.allocations.lifecycle import (
    InvalidAllocationTransition,
    _midnight,
    _transition,
    allocation_offer,
)
from bookings.models import Allocation, AllocationStatus, Occupancy, OccupancyKind
from bookings.models.allocations import ALLOCATION_OCCUPYING
from bookings.services.occupancy import occupancies_end_allocation
from spaces.models import Space


@transaction.atomic
def allocation_end(
    *, allocation: Allocation, actor: Actor, reason: str, on: date | None = None
) -> bool:
    """End an agreement at its term or early (from `on`); frees the spaces from that day.

    `PLATFORM` is the daily job at term; a person must be allowed to commit the owner and not
    belong to the structure (PermissionDenied, DecisionNotAllowed, ConflictOfInterest).
    """
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    allocation_check_actor(actor=actor, allocation=allocation, action=AllocationAction.END)
    on = min(on or allocation.end, allocation.end)
    if allocation.status in ALLOCATION_OCCUPYING and on <= allocation.start:
        on = allocation.start
    changed = _transition(
        allocation=allocation, to=AllocationStatus.ENDED, actor=actor, reason=reason
    )
    if not changed:
        return False
    cut = _midnight(on)
    occupancies_end_allocation(allocation=allocation, at=cut, now=timezone.now())
    if on < allocation.end:
        Allocation.objects.filter(pk=allocation.pk).update(terminated_on=on)
    # A space that another agreement (a renewal) occupies from that day is not vacant.
    taken = Occupancy.objects.filter(
        kind=OccupancyKind.ALLOCATION, active=True, start__lte=cut, end__gt=cut
    ).exclude(allocation=allocation)
    Space.objects.filter(allocations=allocation).exclude(pk__in=taken.values("space_id")).update(
        vacant_since=on
    )
    return True


def allocations_activate_and_end(*, today: date | None = None) -> tuple[int, int]:
    """Daily job: signed agreements whose first day came become active; those past term end.
    The platform acts."""
    today = today or timezone.localdate()
    started = ended = 0
    for allocation in Allocation.objects.filter(status=AllocationStatus.SIGNED, start__lte=today):
        with transaction.atomic():
            started += _transition(
                allocation=allocation, to=AllocationStatus.ACTIVE, actor=PLATFORM
            )
    for allocation in Allocation.objects.filter(status=AllocationStatus.ACTIVE, end__lte=today):
        ended += allocation_end(
            allocation=allocation, actor=PLATFORM, reason=_("End of the agreement.")
        )
    return started, ended


@transaction.atomic
def allocation_renew(*, allocation: Allocation, actor: User, end: date) -> Allocation:
    """Offer the same terms from the end of `allocation` to `end`.

    Only a signed or active agreement is renewed, once. Raises InvalidTransition otherwise,
    ValidationError if it was renewed already or `end` is not after its end.
    """
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    allocation_check_actor(actor=actor, allocation=allocation, action=AllocationAction.RENEW)
    if allocation.status not in ALLOCATION_OCCUPYING:
        raise InvalidAllocationTransition(allocation.status, AllocationStatus.OFFERED)
    if Allocation.objects.filter(renews=allocation).exists():
        raise ValidationError({"end": _("This agreement has already been renewed.")})
    return allocation_offer(
        actor=actor,
        structure=allocation.structure,
        spaces=list(allocation.spaces.all()),
        start=allocation.end,
        end=end,
        legal_regime=allocation.legal_regime,
        annual_fee_cents=allocation.annual_fee_cents,
        free_use_basis=allocation.free_use_basis,
        free_use_reference=allocation.free_use_reference,
        deposit_cents=allocation.deposit_cents,
        renews=allocation,
    )
