"""Changing a booking instead of cancelling and booking again (issue 16): another time, another
room of the platform, other attendees or purpose.

One transaction, under the same locks and rules as a new request (`bookings.services.
requests`): the spaces concerned (the old and the new one, in id order), then the booking, then
the structure's row (quotas) and the equipment items (id order). The old dates are freed and
the new one written in that transaction: the old slot is given up only if the new one is taken.
On PostgreSQL the exclusion constraint refuses a new row that overlaps another active one (the
clash query under the lock gives the clean 409 first); on SQLite every transaction begins
IMMEDIATE, so writers are serialised and the same query is the guard. Any refusal rolls the
whole change back: the booking keeps its room, its time, its equipment and its status.

An approved booking goes back to the managers when its space says so (`Space.change_approval`):
it is then pending on its new slot, which it holds as any request does, and its old slot is
freed. A change made by an impartial manager of the space needs no approval.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import logged_actor
from accounts.models import User
from bookings import notifications, signals
from bookings.exceptions import InvalidTransition
from bookings.models import (
    OCCUPYING,
    Booking,
    BookingAnswer,
    BookingLog,
    BookingStatus,
    EquipmentUse,
    Waiver,
)
from bookings.permissions import CancelAs, booking_change_terms
from bookings.rules import Period
from bookings.services.conditions import CheckedConditions, _answers_write, _conditions_check
from bookings.services.decisions import _check_cancellation_notice
from bookings.services.equipment import equipment_book
from bookings.services.occupancy import occupancies_book, occupancies_free
from bookings.services.quotas import quotas_check
from bookings.services.requests import (
    PENDING_LAPSE,
    BookingRequest,
    _check_period,
    _check_space,
    _clash_rows_now,
    _conflict,
)
from core.signals import status_changed_in_transaction
from core.workflow import status_change
from spaces.models import ChangeApproval, Space
from spaces.selectors import spaces_manageable_by, spaces_visible_to

# The one status change a change makes: an approved booking back to the managers.
CHANGE_TRANSITIONS = {BookingStatus.CONFIRMED: frozenset({BookingStatus.PENDING})}


@dataclass(frozen=True)
class BookingChange:
    """What changes; None keeps the booking's value. `space` is an id (read under the lock,
    within what the actor may see), `period` the new slot."""

    period: Period | None = None
    space: int | None = None
    purpose: str | None = None
    attendees: int | None = None
    # The new space's questions and house rules, when the room changes.
    answers: Mapping[int, object] | None = None
    house_rules_accepted: bool = False
    reason: str = ""


def _snapshot(booking: Booking) -> dict[str, Any]:
    return {
        "space": booking.space_id,
        "space_name": booking.space.name,
        "start": booking.start.astimezone(UTC).isoformat(),
        "end": booking.end.astimezone(UTC).isoformat(),
        "attendees": booking.attendees,
        "purpose": booking.purpose,
    }


def _spaces_locked(ids: set[int]) -> dict[int, Space]:
    """Lock the spaces in id order (two changes between the same two rooms lock alike)."""
    return {
        space.pk: space
        for space in Space.objects.select_for_update(of=("self",))
        .select_related("site", "site__commune", "site__owner")
        .filter(pk__in=sorted(ids))
        .order_by("pk")
    }


def _new_space(change: BookingChange, booking: Booking, actor: User, terms: CancelAs) -> int:
    """The id of the space the booking goes to; ValidationError naming `space` for one the
    actor may not move it to (a manager: a space they manage; a requester: one they see)."""
    if change.space is None or change.space == booking.space_id:
        return booking.space_id
    allowed = spaces_manageable_by(actor) if terms == CancelAs.MANAGER else spaces_visible_to(actor)
    if not allowed.filter(pk=change.space).exists():
        raise ValidationError({"space": _("This space does not exist.")})
    return change.space


def _needs_approval(space: Space, *, terms: CancelAs, moved: bool, status: str) -> bool:
    if status != BookingStatus.CONFIRMED or terms == CancelAs.MANAGER:
        return False
    if space.instant_confirmation:
        return False
    setting = space.change_approval
    return setting == ChangeApproval.ALWAYS or (setting == ChangeApproval.TIME_OR_ROOM and moved)


def _change_status(
    locked: Booking,
    space: Space,
    change: BookingChange,
    *,
    terms: CancelAs,
    moved: bool,
    room_changed: bool,
    now: datetime,
) -> tuple[CheckedConditions | None, bool, str]:
    """What a change of a booking or of a series decides: the new room's conditions checked
    (None when the room stays; ValidationError for answers it refuses), whether the change
    awaits the managers' approval, and the status the booking takes. A confirmed booking whose
    new room awaits files (its insurance, its questions' files) goes back to pending: that
    room's managers decide."""
    conditions = None
    if room_changed:
        conditions = _conditions_check(
            space=space,
            answers=change.answers,
            house_rules_accepted=change.house_rules_accepted,
            now=now,
        )
    needs_approval = _needs_approval(space, terms=terms, moved=moved, status=locked.status)
    if (
        conditions is not None
        and conditions.awaits_files
        and locked.status == (BookingStatus.CONFIRMED)
    ):
        needs_approval = True  # the new space's insurance or files: its managers decide
    status = BookingStatus.PENDING if needs_approval else locked.status
    return conditions, needs_approval, status


def _check_series_rooms(booking: Booking, attendees: int, now: datetime) -> None:
    """A series' attendees fit every room its dates still to come use (after a change from a
    date, the dates before it may be in the former room); its current room is checked with
    the request's rules (`_check_space`)."""
    others = (
        Space.objects.filter(
            occupancies__booking=booking, occupancies__active=True, occupancies__end__gt=now
        )
        .exclude(pk=booking.space_id)
        .select_related("site")
        .distinct()
        .order_by("pk")
    )
    for space in others:
        limit = min(filter(None, [space.capacity, space.site.max_occupancy]))
        if attendees > limit:
            raise ValidationError(
                {
                    "attendees": _("At most %(limit)s people may attend in this space.")
                    % {"limit": limit}
                }
            )


@transaction.atomic
def booking_reschedule(
    *, booking: Booking, change: BookingChange, actor: User, now: datetime | None = None
) -> Booking:
    """Move `booking` to another time and/or room, or change its attendees or purpose.

    Only its structure's members and the managers of its space change it (PermissionDenied,
    404, for others; DecisionNotAllowed, 403, for one who sees it but may not). A series
    only changes its attendees or purpose here, for the whole booking (its dates, times and
    room change from a date: `booking_series_reschedule`; ValidationError). The new slot is
    checked as a new request is (period rules, opening hours, closures, clashes, the new
    space's questions and house rules, quotas, the booking's equipment at the new time); a
    requester also respects the cancellation notice of the slot given up. Raises
    ValidationError naming the field, BookingConflict with the clashes (409), and
    InvalidTransition for a booking that no longer occupies its slot. Nothing changes then.
    """
    now = now or timezone.now()
    terms = booking_change_terms(actor=actor, booking=booking)
    target = _new_space(change, booking, actor, terms)
    spaces = _spaces_locked({booking.space_id, target})
    locked = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=booking.pk)
    )
    if locked.space_id not in spaces:  # moved meanwhile by someone else: their change stands
        raise ValidationError(
            {"space": _("This booking was changed meanwhile: reload the page and try again.")}
        )
    if locked.status not in OCCUPYING:
        raise InvalidTransition(locked.status, locked.status)
    old_space, space = spaces[locked.space_id], spaces[target]
    locked.space = old_space
    before = _snapshot(locked)
    period = change.period or Period(locked.start, locked.end)
    purpose = locked.purpose if change.purpose is None else change.purpose
    attendees = locked.attendees if change.attendees is None else change.attendees
    room_changed = space.pk != old_space.pk
    moved = room_changed or period != Period(locked.start, locked.end)
    next_start = locked.start
    if locked.is_series:
        # A series' attendees and purpose are the whole booking's; its dates, times and room
        # change from a date (`bookings.services.series`).
        if moved:
            raise ValidationError(
                _("A series is changed from a date: give the first date to change.")
            )
        next_start = (
            locked.occupancies.filter(active=True, start__gt=now)
            .order_by("start")
            .values_list("start", flat=True)
            .first()
        ) or now
        _check_series_rooms(locked, attendees, now)
    if next_start <= now:
        raise ValidationError({"start": _("This booking has started: it can no longer change.")})
    organisation = locked.organisation
    request = BookingRequest(
        space=space.pk,
        organisation=organisation.pk,
        purpose=purpose,
        attendees=attendees,
        first=period,
    )
    _check_space(request, space, organisation)
    if moved:
        if terms == CancelAs.REQUESTER:
            _check_cancellation_notice(locked, locked.start, now)
        waive = (
            frozenset({Waiver.MIN_NOTICE, Waiver.MAX_ADVANCE})
            if terms == CancelAs.MANAGER
            else frozenset()
        )
        hours = list(space.opening_hours.values_list("weekday", "opens", "closes"))
        _check_period(space, period, now, field="start", hours=hours, waive=waive)
    conditions, needs_approval, status = _change_status(
        locked, space, change, terms=terms, moved=moved, room_changed=room_changed, now=now
    )
    rows = []
    if moved:
        # The equipment the booking holds moves with it, checked against the stock then.
        asked = list(
            EquipmentUse.objects.filter(booking=locked, occupancy__active=True)
            .values_list("equipment_id", "quantity")
            .distinct()
            .order_by("equipment_id")
        )
        # Freed first, in this transaction: the new slot may overlap the old one. Rolled back
        # with everything else if the new slot is refused below.
        occupancies_free(rows=locked.occupancies.filter(active=True), at=now)
        buffer = timedelta(minutes=space.buffer_minutes)
        clash_rows = _clash_rows_now(space=space, periods=[period], buffer=buffer, now=now)
        if clash_rows:
            raise _conflict(clash_rows, buffer)
        quotas_check(
            space=space,
            organisation=organisation,
            periods=[period],
            pending=needs_approval,  # one more request awaiting a decision
            now=now,
        )
    locked.space, locked.start, locked.end = space, period.start, period.end
    locked.purpose, locked.attendees = purpose.strip(), attendees
    fields = ["space", "start", "end", "purpose", "attendees"]
    if status == BookingStatus.PENDING:
        lapses_at = min(period.start if moved else next_start, now + PENDING_LAPSE)
        if locked.lapses_at is None or needs_approval or lapses_at < locked.lapses_at:
            locked.lapses_at = lapses_at
            locked.lapse_reminder_sent_at = None
            fields += ["lapses_at", "lapse_reminder_sent_at"]
    if conditions is not None and conditions.house_rules_accepted_at is not None:
        locked.house_rules_accepted_at = conditions.house_rules_accepted_at
        fields.append("house_rules_accepted_at")
    locked.save(update_fields=fields)
    if moved:
        # checked: the space is locked and nothing clashes in this transaction.
        rows = occupancies_book(booking=locked, periods=[period], checked=True)
        equipment_book(booking=locked, rows=rows, asked=asked)
    if conditions is not None:
        # The new room's questions replace the old room's answers (the old files stay).
        BookingAnswer.objects.filter(booking=locked).delete()
        _answers_write(booking=locked, checked=conditions, actor=actor)
    from_status = locked.status
    if needs_approval:
        status_change(locked, to=status, transitions=CHANGE_TRANSITIONS, error=InvalidTransition)
    after = _snapshot(locked)
    changed = {key: value for key, value in after.items() if before[key] != value}
    log = BookingLog.objects.create(
        booking=locked,
        from_status=from_status,
        to_status=status,
        actor=logged_actor(actor),
        reason=change.reason.strip(),
        change={
            "before": {key: before[key] for key in changed},
            "after": changed,
            "by_manager": terms == CancelAs.MANAGER,
        },
    )
    locked.change_log = log
    if status != from_status:
        status_changed_in_transaction.send(
            sender=Booking, pk=locked.pk, from_status=from_status, to_status=status
        )
    old_slot = (before["start"], before["end"], before["space"])
    new_slot = (after["start"], after["end"], after["space"])
    as_manager = terms == CancelAs.MANAGER
    _change_signals_after_commit(
        booking_id=locked.pk,
        from_status=from_status,
        to_status=status,
        before=old_slot,
        after=new_slot,
        moved=moved,
        actor_id=actor.pk,
        as_manager=as_manager,
    )
    # The other side hears of it: the structure when a manager changed it, the people who
    # decide when the structure did (bookings.notifications).
    notifications.notify(
        locked,
        "changed" if as_manager else "changed_by_requester",
        actor=actor,
        previous={
            "space_name": before["space_name"],
            "start": datetime.fromisoformat(before["start"]),
            "end": datetime.fromisoformat(before["end"]),
        },
        moved=moved,
        changed_by=str(actor),
        needs_approval=needs_approval,
        reason=change.reason.strip(),
    )
    for name in ("space", "start", "end", "purpose", "attendees", "status", "lapses_at"):
        setattr(booking, name, getattr(locked, name))
    return locked


def _change_signals_after_commit(
    *,
    booking_id: int,
    from_status: str,
    to_status: str,
    before: tuple,
    after: tuple,
    moved: bool,
    actor_id: int,
    as_manager: bool,
    series: bool = False,
) -> None:
    """Once the change commits: the status signal when the change sent the booking back for
    approval, and `booking_changed` (payments compares the price of the booking's active dates
    with what was collected). `robust`: the change is committed; a listener failing then is
    logged, never a lying 500. Shared by the single change and the series' (series.py)."""

    def after_commit() -> None:
        if to_status != from_status:
            signals.booking_status_changed.send(
                sender=Booking, booking_id=booking_id, from_status=from_status, to_status=to_status
            )
        extra = {"series": True} if series else {}
        signals.booking_changed.send(
            sender=Booking,
            booking_id=booking_id,
            before=before,
            after=after,
            moved=moved,
            actor_id=actor_id,
            as_manager=as_manager,
            **extra,
        )

    transaction.on_commit(after_commit, robust=True)
