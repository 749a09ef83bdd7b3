"""A series changed from a date (issue 16): from that date on, another time of day, another
room, and/or another end date (shorter or longer). The dates before it are not touched.

The single change's transaction (`bookings.services.changes`), over the series' remaining
dates: the spaces concerned locked in id order, then the booking, then the structure's row
(quotas) and the equipment items (id order). The dates given up are freed inside the
transaction, the new dates are expanded by django-scheduler (`bookings.scheduler.
series_rewrite`, in local time: a weekly 18:00 stays at 18:00 across a clock change), checked
like a new request's, and written; any refusal (a clash on any date, a rule, a quota, the
equipment's stock) rolls everything back, so the old dates are given up only if every new one
is taken. The clash refusal names every clashing date.

The booking keeps its id, its payment, its history and its earlier dates; its room, its
Event (the rule from the date on) and, when no earlier date is left, its first slot become
the new ones. Re-approval follows the (new) space's `change_approval` as for a single change.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import logged_actor
from accounts.models import User
from bookings import notifications, scheduler
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
from bookings.rules import NonExistentLocalTimeError, Period
from bookings.selectors import local_zone
from bookings.services.changes import (
    CHANGE_TRANSITIONS,
    BookingChange,
    _change_signals_after_commit,
    _change_status,
    _new_space,
    _spaces_locked,
    booking_reschedule,
)
from bookings.services.conditions import _answers_write
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
    _nonexistent_message,
)
from core.signals import status_changed_in_transaction
from core.workflow import status_change


@dataclass(frozen=True)
class SeriesChange:
    """What changes from `from_date` (a local day) on; None keeps the series' value. Times are
    local wall-clock times (an end at 00:00 is midnight); `until` is the new last day.
    `purpose` and `attendees` are the whole booking's (not from a date): a change of only
    them needs no `from_date`."""

    from_date: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    space: int | None = None
    until: date | None = None
    purpose: str | None = None
    attendees: int | None = None
    # The new space's questions and house rules, when the room changes.
    answers: Mapping[int, object] | None = None
    house_rules_accepted: bool = False
    reason: str = ""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def _last_day(event_until: datetime) -> date:
    """The last local day of a series whose recurrence stops (exclusive) at `event_until`."""
    return (event_until - timedelta(microseconds=1)).astimezone(local_zone()).date()


def _summary(
    *, space_id: int, space_name: str, first: Period | None, until: date
) -> dict[str, Any]:
    values: dict[str, Any] = {"space": space_id, "space_name": space_name, "until": str(until)}
    if first is not None:
        values["start"] = first.start.astimezone(UTC).isoformat()
        values["end"] = first.end.astimezone(UTC).isoformat()
    return values


def _check_change(
    change: SeriesChange, *, today: date, times: tuple[time, time], until: date
) -> None:
    if change.from_date is None:
        raise ValidationError({"from_date": _("Give the first date of the series to change.")})
    errors = {}
    if change.from_date < today:
        errors["from_date"] = _("This date is past: choose today or a later date.")
    elif (change.from_date - today).days > 400:
        # Checked exactly against the 12-month horizon later; this keeps the arithmetic sane.
        errors["from_date"] = _("A series may not run for more than 12 months.")
    start, end = times
    if end != time(0) and end <= start:
        errors["end_time"] = _("The end must be after the start.")
    if until < change.from_date:
        errors["until"] = _("The end of the series is before the first date to change.")
    elif (until - change.from_date).days > 400:
        errors["until"] = _("A series may not run for more than 12 months.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def booking_series_reschedule(
    *, booking: Booking, change: SeriesChange, actor: User, now: datetime | None = None
) -> Booking:
    """Change the series `booking` from `change.from_date` on: its time of day, its room and/or
    its last day. The dates before that day stay as they are.

    Only its structure's members and the managers of its space change it (PermissionDenied,
    404, for others; DecisionNotAllowed, 403, for one who sees it but may not). Every new date
    is checked as a new request's are (period rules, opening hours, closures, clashes, the new
    space's questions and house rules, quotas, the equipment the dates hold); a requester also
    respects the cancellation notice of the first date given up. Raises ValidationError naming
    the field (`from_date`, `start_time`, `end_time`, `space`, `until`), BookingConflict naming
    every clashing date (409), InvalidTransition for a booking that no longer occupies its
    dates. Nothing changes then.
    """
    now = now or timezone.now()
    zone = local_zone()
    terms = booking_change_terms(actor=actor, booking=booking)
    target = _new_space(BookingChange(space=change.space), booking, actor, terms)
    spaces = _spaces_locked({booking.space_id, target})
    locked = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("organisation", "event")
        .get(pk=booking.pk)
    )
    if locked.space_id not in spaces:  # moved meanwhile by someone else: their change stands
        raise ValidationError(
            {"space": _("This booking was changed meanwhile: reload the page and try again.")}
        )
    if locked.status not in OCCUPYING:
        raise InvalidTransition(locked.status, locked.status)
    event = locked.event
    if not locked.is_series or event is None:
        raise ValidationError(
            _("Only a series is changed from a date: change this booking's slot.")
        )
    old_space, space = spaces[locked.space_id], spaces[target]
    locked.space = old_space
    old_times = (event.start.astimezone(zone).time(), event.end.astimezone(zone).time())
    times = (change.start_time or old_times[0], change.end_time or old_times[1])
    old_until = _last_day(event.end_recurring_period)
    until = change.until or old_until
    room_changed = space.pk != old_space.pk
    details = change.purpose is not None or change.attendees is not None
    today = now.astimezone(zone).date()
    if change.from_date is not None:
        _check_change(change, today=today, times=times, until=until)
    if not room_changed and times == old_times and until == old_until:
        if details:  # the attendees or purpose only: the whole booking, no date given up
            return _details_change(booking, change, actor, now)
        raise ValidationError(_("Change the time, the room or the end of the series."))
    _check_change(change, today=today, times=times, until=until)  # no from_date: refused
    first_local = locked.start.astimezone(zone)
    if _midnight(until + timedelta(days=1)) > first_local + scheduler.SERIES_HORIZON:
        raise ValidationError({"until": _("A series may not run for more than 12 months.")})
    given_up = list(
        locked.occupancies.filter(active=True, start__gte=_midnight(change.from_date)).order_by(
            "start"
        )
    )
    if given_up and given_up[0].start <= now:
        raise ValidationError(
            {"from_date": _("A date of the series has started that day: choose a later date.")}
        )
    organisation = locked.organisation
    old_first = Period(given_up[0].start, given_up[0].end) if given_up else None
    before = _summary(
        space_id=old_space.pk, space_name=old_space.name, first=old_first, until=old_until
    )
    if terms == CancelAs.REQUESTER and given_up:
        _check_cancellation_notice(locked, given_up[0].start, now)
    conditions, needs_approval, status = _change_status(
        locked, space, change, terms=terms, moved=True, room_changed=room_changed, now=now
    )
    # The equipment the dates given up hold moves with the series, checked at the new dates.
    asked = list(
        EquipmentUse.objects.filter(occupancy__in=[row.pk for row in given_up])
        .values_list("equipment_id", "quantity")
        .distinct()
        .order_by("equipment_id")
    )
    # Freed first, in this transaction: a new date may overlap an old one. Rolled back with
    # everything else if any new date is refused below.
    occupancies_free(rows=given_up, at=now)
    had_earlier = first_local.date() < change.from_date
    try:
        new_event, periods = scheduler.series_rewrite(
            event=event,
            frequency=locked.frequency,
            title=locked.purpose,
            calendar_key=space.pk,
            first_day=first_local.date(),
            from_day=change.from_date,
            times=times,
            until=_midnight(until + timedelta(days=1)),
            zone=zone,
            # Dates cancelled one by one (or by a closure) stay cancelled, whichever Event of
            # an earlier change held them.
            dropped=frozenset(
                moment.astimezone(zone).date()
                for moment in locked.log.filter(
                    occurrence_start__gte=_midnight(change.from_date)
                ).values_list("occurrence_start", flat=True)
            ),
        )
    except NonExistentLocalTimeError as exc:
        raise ValidationError({"start_time": _nonexistent_message(exc)}) from exc
    if not periods:
        raise ValidationError(
            {"until": _("No date of the series is left from that date: cancel it instead.")}
        )
    request = BookingRequest(
        space=space.pk,
        organisation=organisation.pk,
        purpose=locked.purpose,
        attendees=locked.attendees,
        first=periods[0],
    )
    _check_space(request, space, organisation)
    waive = (
        frozenset({Waiver.MIN_NOTICE, Waiver.MAX_ADVANCE})
        if terms == CancelAs.MANAGER
        else frozenset()
    )
    hours = list(space.opening_hours.values_list("weekday", "opens", "closes"))
    for index, period in enumerate(periods):
        field = "start_time" if index == 0 else "until"
        _check_period(space, period, now, field=field, hours=hours, waive=waive)
    buffer = timedelta(minutes=space.buffer_minutes)
    clash_rows = _clash_rows_now(space=space, periods=periods, buffer=buffer, now=now)
    if clash_rows:
        raise _conflict(clash_rows, buffer)
    quotas_check(
        space=space,
        organisation=organisation,
        periods=periods,
        pending=needs_approval,  # one more request awaiting a decision
        now=now,
    )
    locked.space, locked.event = space, new_event
    fields = ["space", "event"]
    if not had_earlier:  # the whole series changes: its first slot is the new first date
        locked.start, locked.end = periods[0].start, periods[0].end
        fields += ["start", "end"]
    if until != old_until:
        locked.repeat_until, locked.repeat_count = until, None
        fields += ["repeat_until", "repeat_count"]
    if status == BookingStatus.PENDING:
        lapses_at = min(periods[0].start, now + PENDING_LAPSE)
        if locked.lapses_at is None or needs_approval or lapses_at < locked.lapses_at:
            locked.lapses_at = lapses_at
            locked.lapse_reminder_sent_at = None
            fields += ["lapses_at", "lapse_reminder_sent_at"]
    if conditions is not None and conditions.house_rules_accepted_at is not None:
        locked.house_rules_accepted_at = conditions.house_rules_accepted_at
        fields.append("house_rules_accepted_at")
    locked.save(update_fields=fields)
    # checked: the spaces are locked and nothing clashes in this transaction.
    rows = occupancies_book(booking=locked, periods=periods, checked=True)
    equipment_book(booking=locked, rows=rows, asked=asked)
    if conditions is not None:
        # The new room's questions replace the old room's answers (the old files stay).
        BookingAnswer.objects.filter(booking=locked).delete()
        _answers_write(booking=locked, checked=conditions, actor=actor)
    from_status = locked.status
    if needs_approval:
        status_change(locked, to=status, transitions=CHANGE_TRANSITIONS, error=InvalidTransition)
    after = _summary(space_id=space.pk, space_name=space.name, first=periods[0], until=until)
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    as_manager = terms == CancelAs.MANAGER
    log = BookingLog.objects.create(
        booking=locked,
        from_status=from_status,
        to_status=status,
        actor=logged_actor(actor),
        reason=change.reason.strip(),
        change={
            "before": {key: before[key] for key in changed if key in before},
            "after": changed,
            "from_date": str(change.from_date),
            "dates": [len(given_up), len(periods)],
            "by_manager": as_manager,
        },
    )
    locked.change_log = log
    if status != from_status:
        status_changed_in_transaction.send(
            sender=Booking, pk=locked.pk, from_status=from_status, to_status=status
        )
    shown = old_first or Period(locked.start, locked.end)
    old_slot = (
        shown.start.astimezone(UTC).isoformat(),
        shown.end.astimezone(UTC).isoformat(),
        old_space.pk,
    )
    new_slot = (after["start"], after["end"], space.pk)
    _change_signals_after_commit(
        booking_id=locked.pk,
        from_status=from_status,
        to_status=status,
        before=old_slot,
        after=new_slot,
        moved=True,
        actor_id=actor.pk,
        as_manager=as_manager,
        series=True,
    )
    notifications.notify(
        locked,
        "changed" if as_manager else "changed_by_requester",
        actor=actor,
        previous={"space_name": old_space.name, "start": shown.start, "end": shown.end},
        moved=True,
        changed_by=str(actor),
        needs_approval=needs_approval,
        reason=change.reason.strip(),
        series={
            "from_date": change.from_date,
            "start": periods[0].start,
            "end": periods[0].end,
            "until": until,
        },
    )
    for name in ("space", "start", "end", "status", "lapses_at", "event", "repeat_until"):
        setattr(booking, name, getattr(locked, name))
    if details:  # in this transaction, under the locks already held (no new one)
        return _details_change(booking, change, actor, now)
    return locked


def _details_change(booking: Booking, change: SeriesChange, actor: User, now: datetime) -> Booking:
    """The series' attendees and purpose, for the whole booking: the single change's checks
    (the capacity of its rooms, the text's rules), history and notice."""
    return booking_reschedule(
        booking=booking,
        actor=actor,
        change=BookingChange(
            purpose=change.purpose, attendees=change.attendees, reason=change.reason
        ),
        now=now,
    )
