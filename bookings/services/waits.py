"""Waiting for a slot (issue 16): join the line for a slot that is taken, the offer of a freed
slot to the first in line for a limited time (then the next), its acceptance through the normal
request, withdrawal.

Concurrency. Every write on a space's waits runs under the space's row lock, the lock
`booking_request` takes first (lock order: space → organisation → equipment items): joining
(the duplicate and the per-structure cap checked under it, the structure's row locked after the
space's), offering (so that two jobs freeing the same space at once offer a slot once: the
second sees the first's offer), accepting (the booking made by `booking_request` in the same
transaction, which takes the same lock again). An offer reserves nothing in Occupancy: a direct
request may take the slot first; the acceptance then meets the conflict like any request (the
exclusion constraint on PostgreSQL, the IMMEDIATE transaction on SQLite), and the wait goes back
in line. So no slot is ever booked twice, and a slot is never offered to two structures at
once.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, logged_actor
from accounts.models import Organisation, User
from bookings import notifications
from bookings.exceptions import BookingConflict, OfferLost
from bookings.models import (
    ACTIVE_WAITS,
    OFFER_HOURS_DEFAULT,
    OFFER_HOURS_MAX,
    OFFER_HOURS_MIN,
    SLOT_WAIT_TRANSITIONS,
    WAITS_PER_ORGANISATION,
    Booking,
    SlotWait,
    SlotWaitLog,
    SlotWaitSetting,
    SlotWaitStatus,
)
from bookings.rules import Period
from bookings.selectors import occupancy_clash_rows, slot_waits_of_member
from bookings.services.requests import (
    BookingRequest,
    _check_period,
    _check_requester,
    _check_space,
    _space_locked,
    booking_request,
)
from core.jobs import job_after_commit
from core.workflow import status_change
from spaces.models import Space
from spaces.permissions import space_check_manager


def _refused(from_status: str, to_status: str) -> ValidationError:
    return ValidationError(
        {
            "wait": _("This wait is %(status)s: that is no longer possible.")
            % {"status": SlotWaitStatus(from_status).label.lower()}
        }
    )


def _wait_transition(
    *, wait: SlotWait, to: str, actor: Actor, reason: str = "", **fields: object
) -> bool:
    """Change the wait's status (core.workflow.status_change) and log it. Returns False if it
    was already there. Must run inside atomic(), with the space locked."""
    if to != SlotWaitStatus.OFFERED:
        fields.setdefault("offered_until", None)  # only an offer has a deadline
    from_status = status_change(
        wait, to=to, transitions=SLOT_WAIT_TRANSITIONS, error=_refused, **fields
    )
    if from_status is None:
        return False
    for name, value in fields.items():
        setattr(wait, name, value)
    SlotWaitLog.objects.create(
        wait=wait, from_status=from_status, to_status=to, actor=logged_actor(actor), reason=reason
    )
    return True


def _lock_space(space_id: int) -> Space:
    return Space.objects.select_for_update(of=("self",)).get(pk=space_id)


@transaction.atomic
def slot_wait_join(
    *,
    space: Space | int,
    organisation: Organisation | int,
    period: Period,
    purpose: str,
    attendees: int,
    requested_by: User,
    now: datetime | None = None,
) -> SlotWait:
    """Wait for a one-off slot of a space that is taken, for one of the requester's verified
    structures. The space's rules are those of a request (past, notice, length, opening hours,
    attendees); the slot must be taken (else: request it); a structure waits once for a slot
    (no overlapping active wait on the same space) and holds at most WAITS_PER_ORGANISATION
    active waits. Raises ValidationError naming the field."""
    now = now or timezone.now()
    request = BookingRequest(
        space=space, organisation=organisation, purpose=purpose, attendees=attendees, first=period
    )
    locked = _space_locked(request, requested_by)  # the space's lock; 400 if not visible
    _check_requester(locked)
    space_row, structure = locked.space, locked.organisation
    _check_space(request, space_row, structure)
    _check_period(space_row, period, now, field="start", hours=locked.hours)
    # The structure's row next (lock order: space → organisation): its cap counted once.
    list(Organisation.objects.select_for_update().filter(pk=structure.pk).values_list("pk"))
    active = SlotWait.objects.filter(organisation=structure, status__in=ACTIVE_WAITS)
    if active.filter(space=space_row, start__lt=period.end, end__gt=period.start).exists():
        raise ValidationError(
            {"start": _("Your structure is already waiting for this slot (or part of it).")}
        )
    if active.count() >= WAITS_PER_ORGANISATION:
        raise ValidationError(
            {
                "start": _(
                    "Your structure already waits for %(n)s slots: withdraw one before waiting "
                    "for another."
                )
                % {"n": WAITS_PER_ORGANISATION}
            }
        )
    buffer = timedelta(minutes=space_row.buffer_minutes)
    clash_rows = occupancy_clash_rows(space=space_row, periods=[period], buffer=buffer)
    if not clash_rows:
        raise ValidationError({"start": _("This slot is free: request it instead of waiting.")})
    if all(row.booking and row.booking.organisation_id == structure.pk for _p, row in clash_rows):
        raise ValidationError({"start": _("Your structure already holds this slot.")})
    wait = SlotWait.objects.create(
        space=space_row,
        organisation=structure,
        requested_by=requested_by,
        start=period.start,
        end=period.end,
        purpose=purpose.strip(),
        attendees=attendees,
    )
    SlotWaitLog.objects.create(
        wait=wait, to_status=SlotWaitStatus.WAITING, actor=logged_actor(requested_by)
    )
    # The people who would decide on the request hear of it in their notifications list.
    notifications.notify_slot_wait_joined(wait)
    return wait


@transaction.atomic
def slot_wait_setting_set(*, space: Space, actor: Actor, offer_hours: int) -> SlotWaitSetting:
    """Set how long a freed slot of `space` stays offered to the first in line (1 to 72
    hours; still never past the space's notice). Applies to the offers made from now on.
    Raises PermissionDenied (404) unless `actor` manages the space, ValidationError naming
    `offer_hours`."""
    space_check_manager(actor=actor, space_id=space.pk)
    if (
        not isinstance(offer_hours, int)
        or isinstance(offer_hours, bool)
        or not OFFER_HOURS_MIN <= offer_hours <= OFFER_HOURS_MAX
    ):
        raise ValidationError(
            {
                "offer_hours": _("Between %(min)s and %(max)s hours.")
                % {"min": OFFER_HOURS_MIN, "max": OFFER_HOURS_MAX}
            }
        )
    setting, _created = SlotWaitSetting.objects.update_or_create(
        space=space, defaults={"offer_hours": offer_hours}
    )
    return setting


def _offer_hours(space_id: int) -> int:
    hours = SlotWaitSetting.objects.filter(space_id=space_id).values_list("offer_hours", flat=True)
    return hours[0] if hours else OFFER_HOURS_DEFAULT


def _offer_deadline(wait: SlotWait, space: Space, now: datetime, hours: int) -> datetime:
    """The space's offer duration (`hours`), and never past the last moment the slot may still
    be requested (its notice)."""
    return min(now + timedelta(hours=hours), wait.start - timedelta(hours=space.min_notice_hours))


def slot_waits_offer(*, space_id: int, now: datetime | None = None) -> int:
    """Look at a space's line, under the space's lock: offers past their time expire (the
    structure is told), waits whose slot can no longer be requested in time expire, then each
    waiting structure whose whole slot is free (and not offered to someone ahead of it) is
    offered it until `_offer_deadline`, by arrival. The platform acts. Returns how many offers
    were made."""
    if not SlotWait.objects.filter(space_id=space_id, status__in=ACTIVE_WAITS).exists():
        return 0  # most freed slots: nobody waits, nothing locked
    with transaction.atomic():
        return _offer_in_line(space_id=space_id, now=now or timezone.now())


def _offer_in_line(*, space_id: int, now: datetime) -> int:
    try:
        space = _lock_space(space_id)
    except Space.DoesNotExist:
        return 0
    line = list(
        SlotWait.objects.filter(space_id=space_id, status__in=ACTIVE_WAITS)
        .select_related("space", "organisation", "requested_by")
        .order_by("created_at", "pk")
    )
    hours = _offer_hours(space_id)
    held: list[Period] = []
    waiting: list[SlotWait] = []
    for wait in line:
        if wait.status == SlotWaitStatus.OFFERED:
            if wait.offered_until > now:
                held.append(Period(wait.start, wait.end))
                continue
            _wait_transition(wait=wait, to=SlotWaitStatus.EXPIRED, actor=PLATFORM)
            notifications.notify_slot_wait(wait, "offer_expired")
        elif _offer_deadline(wait, space, now, hours) <= now:
            # Too late to be requested now: the line for it has nothing left to offer.
            _wait_transition(wait=wait, to=SlotWaitStatus.EXPIRED, actor=PLATFORM)
        else:
            waiting.append(wait)
    buffer = timedelta(minutes=space.buffer_minutes)
    offered = 0
    for wait in waiting:
        period = Period(wait.start, wait.end)
        if any(period.overlaps(other) for other in held):
            continue  # someone ahead has it on offer
        if occupancy_clash_rows(space=space, periods=[period], buffer=buffer):
            continue  # still taken (or only part of it freed)
        _wait_transition(
            wait=wait,
            to=SlotWaitStatus.OFFERED,
            actor=PLATFORM,
            offered_until=_offer_deadline(wait, space, now, hours),
        )
        notifications.notify_slot_wait(wait, "offered")
        held.append(period)
        offered += 1
    return offered


def slot_waits_offer_after_commit(*, space_ids: set[int]) -> None:
    """Look at these spaces' lines once the current transaction commits (a slot was freed or an
    offer declined): a job, eager without a worker. The periodic job catches what a lost job
    missed."""
    if not space_ids:
        return
    from bookings.tasks import offer_freed_slots  # bookings.tasks imports the services

    job_after_commit(offer_freed_slots, sorted(space_ids))


def slot_waits_sweep(*, now: datetime | None = None) -> int:
    """The periodic job: every space with a line looked at (`slot_waits_offer`), each in its
    own transaction. Returns how many offers were made."""
    from bookings.selectors import slot_waits_spaces_to_look_at

    return sum(
        slot_waits_offer(space_id=space_id, now=now) for space_id in slot_waits_spaces_to_look_at()
    )


def _own_wait(wait: SlotWait, actor: Actor) -> None:
    """Only the structure's members act on its wait; anyone else is told nothing (404)."""
    if not isinstance(actor, User) or not slot_waits_of_member(actor).filter(pk=wait.pk).exists():
        raise PermissionDenied


@transaction.atomic
def slot_wait_withdraw(*, wait: SlotWait, actor: Actor) -> bool:
    """Leave the line (a standing offer is declined: the next in line may get it). Returns
    False if already withdrawn. Raises PermissionDenied for anyone but the structure's
    members, ValidationError once taken or expired."""
    _own_wait(wait, actor)
    _lock_space(wait.space_id)
    was_offered = SlotWait.objects.get(pk=wait.pk).status == SlotWaitStatus.OFFERED
    changed = _wait_transition(wait=wait, to=SlotWaitStatus.WITHDRAWN, actor=actor)
    if changed and was_offered:
        slot_waits_offer_after_commit(space_ids={wait.space_id})
    return changed


def slot_wait_accept(
    *,
    wait: SlotWait,
    actor: Actor,
    house_rules_accepted: bool = False,
    answers: dict | None = None,
    now: datetime | None = None,
) -> Booking:
    """Accept the slot offered: the normal request (`booking_request`: every rule, quota and
    the constraint), for the wait's structure, slot, purpose and attendees; the wait is taken.

    Raises PermissionDenied for anyone but the structure's members; ValidationError if nothing
    is on offer (any more) or a rule refuses (the offer still stands: answer the space's
    questions, accept its house rules); OfferLost (a BookingConflict, 409) if the slot was
    taken meanwhile, after putting the wait back in line (committed)."""
    now = now or timezone.now()
    _own_wait(wait, actor)
    with transaction.atomic():
        _lock_space(wait.space_id)
        current = SlotWait.objects.select_for_update().get(pk=wait.pk)
        if current.status != SlotWaitStatus.OFFERED or current.offered_until <= now:
            raise ValidationError(
                {"wait": _("This slot is not on offer to your structure (any more).")}
            )
        request = BookingRequest(
            space=current.space_id,
            organisation=current.organisation_id,
            purpose=current.purpose,
            attendees=current.attendees,
            first=Period(current.start, current.end),
            answers=answers,
            house_rules_accepted=house_rules_accepted,
        )
        try:
            with transaction.atomic():  # a savepoint: the wait goes back in line on a clash
                booking = booking_request(request=request, requested_by=actor, now=now)
        except BookingConflict as exc:
            _wait_transition(
                wait=current,
                to=SlotWaitStatus.WAITING,
                actor=actor,
                reason="taken before acceptance",
            )
            lost = exc
        else:
            _wait_transition(wait=current, to=SlotWaitStatus.TAKEN, actor=actor, booking=booking)
            wait.status, wait.booking = current.status, booking
            return booking
    wait.status = SlotWaitStatus.WAITING
    raise OfferLost(
        lost.clashes,
        message=_(
            "Someone booked this slot before you accepted it. Your structure is back in line "
            "for it."
        ),
        reasons=lost.reasons,
    )
