"""End (at term or early), renewal, and the daily start and end of occupancy agreements."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, is_platform
from accounts.models import User
from bookings.allocations.actions import AllocationAction, allocation_check_actor
from bookings.allocations.lifecycle import (
    InvalidAllocationTransition,
    _midnight,
    _transition,
    allocation_offer,
)
from bookings.allocations.notifications import allocation_notify
from bookings.models import (
    Allocation,
    AllocationReminder,
    AllocationStatus,
    Occupancy,
    OccupancyKind,
)
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
    allocation_notify(
        allocation,
        "terminated" if on < allocation.end else "ended",
        on=on,
        last_occupied=on - timedelta(days=1),
        # The daily job's reason ("End of the agreement.") says nothing the message does not.
        reason="" if is_platform(actor) else reason.strip(),
    )
    return True


def allocations_activate_and_end(*, today: date | None = None) -> tuple[int, int]:
    """Daily job: signed agreements whose first day came become active; those past term end.
    The platform acts."""
    today = today or timezone.localdate()
    started = ended = 0
    for allocation in Allocation.objects.filter(status=AllocationStatus.SIGNED, start__lte=today):
        with transaction.atomic():
            if _transition(allocation=allocation, to=AllocationStatus.ACTIVE, actor=PLATFORM):
                allocation_notify(allocation, "started")
                started += 1
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
    renewal = allocation_offer(
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
    # The structure got the renewal's offer; the owner's side hears that it was made.
    allocation_notify(renewal, "renewed")
    return renewal


# Reminders that an agreement ends: 60 and 30 days before its end, each once.
END_REMINDER_DAYS = (60, 30)


def _end_reminder_step(*, end: date, today: date) -> int | None:
    """The reminder due for an agreement ending on `end` (exclusive): 60 from 60 days before,
    30 from 30 days before; None while further away or once ended. A job that missed a day
    still sends the step; an agreement first seen 20 days before its end gets the 30-day one."""
    days_left = (end - today).days
    if days_left <= 0:
        return None
    due = [days for days in END_REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def _end_reminder_claim(allocation: Allocation, days: int, now: datetime) -> bool:
    """Insert the reminder's row; False if it exists (sent by an earlier or a concurrent run).
    Runs inside transaction.atomic() (the savepoint keeps the caller's transaction usable)."""
    try:
        with transaction.atomic():
            AllocationReminder.objects.create(
                allocation=allocation, end=allocation.end, days_before=days, sent_at=now
            )
    except IntegrityError:
        return False
    return True


def allocations_remind_ending(*, today: date | None = None, now: datetime | None = None) -> int:
    """Daily job: tell both sides of each signed or active agreement that it ends, 60 and 30
    days before its end, each reminder once (`AllocationReminder`: the row and the messages
    are written in one transaction). An agreement whose renewal is signed does not end: no
    reminder. Returns how many reminders were sent (one per agreement and step)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    horizon = today + timedelta(days=max(END_REMINDER_DAYS))
    sent = 0
    candidates = (
        Allocation.objects.filter(status__in=ALLOCATION_OCCUPYING, end__gt=today, end__lte=horizon)
        .exclude(renewal__status__in=ALLOCATION_OCCUPYING)
        .order_by("end", "pk")
    )
    for allocation in candidates:
        days = _end_reminder_step(end=allocation.end, today=today)
        if days is None:
            continue
        with transaction.atomic():
            if not _end_reminder_claim(allocation, days, now):
                continue
            renewal = Allocation.objects.filter(renews=allocation).first()
            allocation_notify(
                allocation, "ending_soon", days_left=(allocation.end - today).days, renewal=renewal
            )
        sent += 1
    return sent
