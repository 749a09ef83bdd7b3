"""The only module that talks to django-scheduler.

A `Calendar` per space, an `Event` per booking (one slot or a series) with its `Rule`, and a
persisted, cancelled `Occurrence` for each date removed from a series. Occupancy rows are derived
from the same expansion, which django-scheduler performs in the time zone of the window it is
given: the window is always in the site's local time, so a weekly 18:00 meeting stays at 18:00
across clock changes.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.utils import timezone
from schedule.models import Calendar, Event, Occurrence, Rule

from bookings.models import Frequency
from bookings.rules import NonExistentLocalTimeError, Period, local_period

# Series are materialised up to this horizon, so the database constraint covers every date.
SERIES_HORIZON = relativedelta(months=12)
_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@dataclass(frozen=True)
class SeriesSpec:
    """What the requester asked for: the first slot and how it repeats."""

    first: Period
    frequency: str
    until: datetime | None = None  # local, end of the last day allowed
    count: int | None = None


class SeriesTooLongError(ValueError):
    """The series would run past the horizon."""


def space_calendar(space_id: int) -> Calendar:
    calendar, _ = Calendar.objects.get_or_create(
        slug=f"space-{space_id}", defaults={"name": f"space-{space_id}"}
    )
    return calendar


def _rule(frequency: str, first_local: datetime) -> Rule | None:
    if frequency == Frequency.ONCE:
        return None
    if frequency == Frequency.WEEKLY:
        name, rrule_frequency, params = "weekly", "WEEKLY", ""
    elif frequency == Frequency.BIWEEKLY:
        name, rrule_frequency, params = "biweekly", "WEEKLY", "interval:2"
    elif frequency == Frequency.MONTHLY_DATE:
        name, rrule_frequency, params = "monthly-date", "MONTHLY", ""
    else:
        # The n-th weekday of the month; a 5th weekday becomes "the last one".
        nth = (first_local.day - 1) // 7 + 1
        position = -1 if nth == 5 else nth
        weekday = _WEEKDAYS[first_local.weekday()]
        name, rrule_frequency = f"monthly-{weekday}-{position}", "MONTHLY"
        params = f"byweekday:{weekday};bysetpos:{position}"
    # Rules are shared by name. django-scheduler does not make the name unique, so two first
    # requests at once may each create one: take the oldest rather than get_or_create, which
    # would fail on the duplicate ever after.
    rule = Rule.objects.filter(name=name).order_by("pk").first()
    if rule is None:
        rule = Rule.objects.create(
            name=name, frequency=rrule_frequency, params=params, description=name
        )
    return rule


def series_create(
    *, calendar_key: int, title: str, spec: SeriesSpec, zone: ZoneInfo
) -> tuple[Event | None, list[Period]]:
    """Save the Event for a booking's series and return its occurrences (local zone). A single
    slot gets no Event (None): there is no recurrence to expand, no date to cancel apart from
    the whole booking, and its readers (ICS, calendars) read the booking and its Occupancy row.

    Raises NonExistentLocalTimeError if a date falls in the skipped hour of a clock change, and
    SeriesTooLongError if the series would run past the 12-month horizon.
    """
    if spec.frequency == Frequency.ONCE:
        return None, [Period(_instant(spec.first.start), _instant(spec.first.end))]
    first_local = spec.first.start.astimezone(zone)
    horizon = first_local + SERIES_HORIZON
    if spec.until is not None and spec.until > horizon:
        raise SeriesTooLongError
    event = Event.objects.create(
        calendar=space_calendar(calendar_key),
        title=title[:255],
        start=spec.first.start,
        end=spec.first.end,
        rule=_rule(spec.frequency, first_local),
        end_recurring_period=spec.until or horizon,
    )
    # A new event has no persisted occurrence: say so, rather than let django-scheduler re-read
    # the event and its occurrences (two queries per request for nothing).
    event._prefetched_objects_cache = {"occurrence_set": Occurrence.objects.none()}
    periods = _expand(event, zone, first_local, horizon, fresh=True)
    del event._prefetched_objects_cache  # dates cancelled later in the request are persisted
    if spec.count is not None:
        if len(periods) < spec.count:
            raise SeriesTooLongError
        periods = periods[: spec.count]
        last = periods[-1]
        event.end_recurring_period = last.end
        event.save(update_fields=["end_recurring_period"])
    return event, periods


def _instant(moment: datetime) -> datetime:
    """`moment` in UTC, as a series' expansion gives its dates: arithmetic on a local time
    forgets which of the two 02:00 of the October change it was (`fold`), a UTC time cannot. A
    local time that does not exist (02:30 on the March change day) is refused, as the expansion
    of a series refuses it."""
    utc = moment.astimezone(UTC)
    if utc.astimezone(moment.tzinfo).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise NonExistentLocalTimeError(moment.replace(tzinfo=None))
    return utc


def _expand(
    event: Event,
    zone: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    *,
    fresh: bool = False,
) -> list[Period]:
    """Occurrences of `event` in a local-time window, without the cancelled ones. `fresh`: the
    event was just saved by this process, so it is not read again from the database."""
    wall_start = event.start.astimezone(zone).time()
    periods = []
    for occurrence in event.get_occurrences(
        window_start.astimezone(zone), window_end.astimezone(zone), clear_prefetch=not fresh
    ):
        if occurrence.cancelled:
            continue
        local = occurrence.start.astimezone(zone)
        # django-scheduler shifts a wall-clock time that does not exist (02:30 on the March
        # change day) by an hour without a word: refuse it instead.
        if local.time() != wall_start:
            raise NonExistentLocalTimeError(
                local.replace(tzinfo=None, hour=wall_start.hour, minute=wall_start.minute)
            )
        periods.append(Period(occurrence.start, occurrence.start + (event.end - event.start)))
    return periods


def occurrences(*, event: Event, zone: ZoneInfo) -> list[Period]:
    """The remaining occurrences of a booking's event."""
    start = event.start.astimezone(zone)
    end = (event.end_recurring_period or event.end) + timedelta(seconds=1)
    return _expand(event, zone, start, end)


def occurrence_cancel(*, event: Event, period: Period) -> None:
    """Remove one date from a series (an EXDATE in calendar feeds)."""
    Occurrence.objects.update_or_create(
        event=event,
        original_start=period.start,
        original_end=period.end,
        defaults={
            "start": period.start,
            "end": period.end,
            "cancelled": True,
            "title": event.title,
        },
    )


def cancelled_starts(*, event: Event) -> list[datetime]:
    return list(
        Occurrence.objects.filter(event=event, cancelled=True).values_list(
            "original_start", flat=True
        )
    )


def series_until(*, event: Event | None) -> datetime | None:
    """When a booking's series stops repeating (exclusive), or None for a single slot."""
    return None if event is None else event.end_recurring_period


def rrule_of(*, event: Event, zone: ZoneInfo) -> dict | None:
    """The RRULE of a series as icalendar expects it, computed from the Event's Rule."""
    if event.rule is None:
        return None
    params = event.rule.get_params()
    rrule: dict = {"FREQ": event.rule.frequency}
    if "interval" in params:
        rrule["INTERVAL"] = params["interval"]
    if "bysetpos" in params:
        rrule["BYDAY"] = f"{params['bysetpos']}{str(params['byweekday'])[:2]}"
    if event.end_recurring_period is not None:
        # django-scheduler stops *before* end_recurring_period (its window end is exclusive),
        # while UNTIL is inclusive: one second earlier, so a date starting exactly at the bound
        # (a 00:00 slot the day after "until") is in neither the Occupancy rows nor the feed.
        until = event.end_recurring_period - timedelta(seconds=1)
        rrule["UNTIL"] = until.astimezone(ZoneInfo("UTC"))
    return rrule


def cancelled_starts_by_event(*, event_ids: list[int]) -> dict[int, list[datetime]]:
    """The cancelled dates of many events in one query (EXDATEs of a calendar feed)."""
    starts: dict[int, list[datetime]] = {event_id: [] for event_id in event_ids}
    rows = (
        Occurrence.objects.filter(event_id__in=event_ids, cancelled=True)
        .order_by("event_id", "original_start")
        .values_list("event_id", "original_start")
    )
    for event_id, start in rows:
        starts[event_id].append(start)
    return starts


def series_rewrite(
    *,
    event: Event,
    frequency: str,
    title: str,
    calendar_key: int,
    first_day: date,
    from_day: date,
    times: tuple[time, time],
    until: datetime,
    zone: ZoneInfo,
    dropped: frozenset[date] = frozenset(),
) -> tuple[Event, list[Period]]:
    """Split `event` at `from_day`: a new Event repeats on the same cadence from that day, at
    the local `times` (end 00:00: midnight) and in the calendar of `calendar_key`, until
    `until` (local, exclusive); the dates of `event` before `from_day` stay with it (its
    recurrence is cut there), or `event` is deleted when it had none. `first_day` is the
    series' first day, on which the cadence is anchored. The days `event` had cancelled on or
    after `from_day`, and the `dropped` days (dates cancelled one by one), stay cancelled in
    the new one. Returns the new Event and its dates (none when no date is left: the caller
    refuses).

    Raises NonExistentLocalTimeError if a new date falls in the skipped hour of a clock change.
    """
    slot = local_period(first_day, times[0], times[1], zone)
    # Anchored on the series' first day, so the cadence (every week, every two weeks, the n-th
    # weekday) runs on from it, even before the Event of an earlier change; moved to the first
    # new date once expanded.
    new = Event.objects.create(
        calendar=space_calendar(calendar_key),
        title=title[:255],
        start=_instant(slot.start),
        end=_instant(slot.end),
        rule=_rule(frequency, slot.start),
        end_recurring_period=until,
    )
    new._prefetched_objects_cache = {"occurrence_set": Occurrence.objects.none()}
    window_start = datetime.combine(from_day, time(0), tzinfo=zone)
    periods = [
        period
        for period in _expand(new, zone, window_start, until, fresh=True)
        if period.start.astimezone(zone).date() >= from_day
    ]
    del new._prefetched_objects_cache
    dropped = dropped | {moment.astimezone(zone).date() for moment in cancelled_starts(event=event)}
    skipped = [period for period in periods if period.start.astimezone(zone).date() in dropped]
    periods = [period for period in periods if period not in skipped]
    if periods:
        new.start, new.end = periods[0].start, periods[0].end
        new.save(update_fields=["start", "end"])
        for period in skipped:
            if period.start > periods[0].start:
                occurrence_cancel(event=new, period=period)
    if event.start.astimezone(zone).date() < from_day:
        event.end_recurring_period = window_start
        event.save(update_fields=["end_recurring_period"])
    else:
        event.delete()
    return new, periods


@dataclass(frozen=True)
class WeeklyDates:
    """A weekly series given by the dates it holds (a season's slot, issue 17): the Event
    repeats every week from the first to the last, and every week in between that is not
    held is an EXDATE (a cancelled Occurrence)."""

    calendar_key: int
    title: str
    periods: list[Period]  # in order, every one on the same weekday and local wall-clock time


def weekly_series_create_many(*, series: list[WeeklyDates], zone: ZoneInfo) -> list[Event]:
    """Save one Event per item of `series`, in a few statements whatever their number: the
    calendars missing, the Events, the cancelled Occurrences of the weeks not held. Returns the
    Events in the order of `series`. The weekly rule expands, in local time, to exactly the
    periods given (`occurrences(event=…)`), because each period is its day at the first
    period's wall-clock time; the caller built them so (`bookings.rules.local_period`)."""
    if not series:
        return []
    slugs = {f"space-{item.calendar_key}" for item in series}
    calendars = {calendar.slug: calendar for calendar in Calendar.objects.filter(slug__in=slugs)}
    missing = sorted(slugs - set(calendars))
    if missing:
        Calendar.objects.bulk_create(
            [Calendar(slug=slug, name=slug) for slug in missing], ignore_conflicts=True
        )
        calendars = {c.slug: c for c in Calendar.objects.filter(slug__in=slugs)}
    first_local = series[0].periods[0].start.astimezone(zone)
    rule = _rule(Frequency.WEEKLY, first_local)
    events = []
    for item in series:
        first, last = item.periods[0], item.periods[-1]
        last_day = last.start.astimezone(zone).date()
        events.append(
            Event(
                calendar=calendars[f"space-{item.calendar_key}"],
                title=item.title[:255],
                start=first.start,
                end=first.end,
                rule=rule,
                end_recurring_period=datetime.combine(
                    last_day + timedelta(days=1), time(0), tzinfo=zone
                ),
            )
        )
    events = Event.objects.bulk_create(events, batch_size=500)
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    skipped = []
    for event, item in zip(events, series, strict=True):
        held = {period.start for period in item.periods}
        first = item.periods[0]
        wall_start = first.start.astimezone(zone)
        wall_end = first.end.astimezone(zone)  # 00:00: midnight, as local_period reads it
        day = wall_start.date() + timedelta(days=7)
        last_day = item.periods[-1].start.astimezone(zone).date()
        while day < last_day:
            period = local_period(day, wall_start.time(), wall_end.time(), zone)
            if period.start not in held:
                start = ops.adapt_datetimefield_value(period.start)
                end = ops.adapt_datetimefield_value(period.end)
                skipped.append((event.pk, event.title, "", start, end, True, start, end, now, now))
            day += timedelta(days=7)
    # One INSERT executed for every row: the ORM's bulk_create prepared each value of each row
    # one by one (docs/decisions.md, issue 17).
    table = ops.quote_name(Occurrence._meta.db_table)
    names = [
        "event",
        "title",
        "description",
        "start",
        "end",
        "cancelled",
        "original_start",
        "original_end",
        "created_on",
        "updated_on",
    ]
    columns = ", ".join(ops.quote_name(Occurrence._meta.get_field(n).column) for n in names)
    placeholders = ", ".join(["%s"] * len(names))
    if skipped:
        with connection.cursor() as cursor:
            # Interpolated: the model's table and column names; every value is a parameter.
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                skipped,
            )
    return events
