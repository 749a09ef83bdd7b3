"""Pure rules about spaces (no ORM, no I/O): opening hours, and how they read."""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from core.formats import time_range_text, time_text, weekday_name, weekday_short


def within_opening_hours(
    *, local_start: datetime, local_end: datetime, hours: Iterable[tuple[int, time, time]]
) -> bool:
    """True if [start, end) fits in one opening window of its day; no windows means always open.

    `local_start` and `local_end` are wall-clock times in the site's zone; `hours` holds
    (weekday, opens, closes) with Monday = 0. A booking may not run past midnight when
    opening hours apply.
    """
    windows = list(hours)
    if not windows:
        return True
    if local_start.date() != local_end.date() and local_end.time() != time(0):
        return False
    end_time = local_end.time() if local_end.date() == local_start.date() else time.max
    weekday = local_start.weekday()
    return any(
        day == weekday and opens <= local_start.time() and end_time <= closes
        for day, opens, closes in windows
    )


def _windows_by_day(hours: Iterable[tuple[int, time, time]]) -> dict[int, tuple]:
    days: dict[int, list[tuple[time, time]]] = {}
    for day, opens, closes in hours:
        days.setdefault(day, []).append((opens, closes))
    return {day: tuple(sorted(windows)) for day, windows in days.items()}


def opening_hours_summary(hours: Iterable[tuple[int, time, time]]) -> list[str]:
    """Opening hours in a few words, one line per run of days with the same windows:
    ["lun.–ven. 9 h–18 h", "sam. 9 h–12 h"]; an empty list means always open.

    `hours` holds (weekday, opens, closes), Monday = 0, in any order.
    """
    by_day = _windows_by_day(hours)
    lines: list[str] = []
    day = 0
    while day < 7:
        windows = by_day.get(day)
        if not windows:
            day += 1
            continue
        last = day
        while last + 1 < 7 and by_day.get(last + 1) == windows:
            last += 1
        days = weekday_short(day) if last == day else f"{weekday_short(day)}–{weekday_short(last)}"
        times = ", ".join(time_range_text(opens, closes) for opens, closes in windows)
        lines.append(f"{days} {times}")
        day = last + 1
    return lines


def opening_hours_of_day(weekday: int, hours: Iterable[tuple[int, time, time]]) -> str:
    """What the space's hours are on `weekday`, as the end of a sentence: "open on Tuesday
    from 9:00 to 18:00" / "closed on Sundays"."""
    windows = _windows_by_day(hours).get(weekday)
    if not windows:
        return _("closed on %(day)s") % {"day": weekday_name(weekday)}
    ranges = [
        _("from %(opens)s to %(closes)s") % {"opens": time_text(opens), "closes": time_text(closes)}
        for opens, closes in windows
    ]
    return _("open on %(day)s %(ranges)s") % {
        "day": weekday_name(weekday),
        "ranges": ", ".join(ranges),
    }


# --- Open time over a period (the observatory: hours booked ÷ hours open) ---

# A weekly window (weekday, opens, closes) in local wall-clock time; no window means always open.
Window = tuple[int, time, time]
ALWAYS_OPEN: tuple[Window, ...] = tuple((day, time(0), time.max) for day in range(7))


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`, as UTC; time.max stands for the next midnight. A time that does
    not exist (02:30 on the March change day) takes the offset before the change (fold=0)."""
    if at == time.max:
        day, at = day + timedelta(days=1), time(0)
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _window_seconds(day: date, opens: time, closes: time, zone: ZoneInfo) -> float:
    return (_instant(day, closes, zone) - _instant(day, opens, zone)).total_seconds()


def _wall_seconds(opens: time, closes: time) -> float:
    return _window_seconds(date(2001, 1, 1), opens, closes, UTC)


@lru_cache(maxsize=64)
def clock_change_days(year: int, zone: ZoneInfo) -> tuple[date, ...]:
    """The days of `year` whose length is not 24 hours in `zone` (two in mainland France)."""
    day, found = date(year, 1, 1), []
    while day.year == year:
        if _window_seconds(day, time(0), time.max, zone) != 86400:
            found.append(day)
        day += timedelta(days=1)
    return tuple(found)


def opening_seconds(
    windows: Sequence[Window], *, start: datetime, end: datetime, zone: ZoneInfo
) -> float:
    """Seconds of [start, end) inside the weekly `windows` (local time), in real elapsed time:
    a window across the clock change lasts an hour less in March, an hour more in October.

    Whole days are counted per weekday (count of each weekday × the window's length), with a
    correction on the clock-change days; only the two partial days at the ends are walked.
    """
    if start >= end:
        return 0.0
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if first == last or first + timedelta(days=1) == last:
        return sum(_partial(windows, day, start, end, zone) for day in {first, last})
    whole_from, whole_to = first + timedelta(days=1), last  # [whole_from, whole_to) whole days
    total = _partial(windows, first, start, end, zone) + _partial(windows, last, start, end, zone)
    days = (whole_to - whole_from).days
    weeks, rest = divmod(days, 7)
    counts = [weeks] * 7
    for offset in range(rest):
        counts[(whole_from.weekday() + offset) % 7] += 1
    total += sum(counts[day] * _wall_seconds(opens, closes) for day, opens, closes in windows)
    for year in range(whole_from.year, whole_to.year + 1):
        for day in clock_change_days(year, zone):
            if whole_from <= day < whole_to:
                total += sum(
                    _window_seconds(day, opens, closes, zone) - _wall_seconds(opens, closes)
                    for weekday, opens, closes in windows
                    if weekday == day.weekday()
                )
    return total


def _partial(
    windows: Sequence[Window], day: date, start: datetime, end: datetime, zone: ZoneInfo
) -> float:
    """Seconds of [start, end) inside the windows of one local `day`."""
    low, high = start.astimezone(UTC), end.astimezone(UTC)
    total = 0.0
    for weekday, opens, closes in windows:
        if weekday != day.weekday():
            continue
        overlap = min(high, _instant(day, closes, zone)) - max(low, _instant(day, opens, zone))
        total += max(overlap.total_seconds(), 0.0)
    return total


def merge_periods(periods: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, non-overlapping periods covering the same time (a site closure and a space
    closure on the same days count once)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
