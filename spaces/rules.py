"""Pure rules about spaces (no ORM, no I/O): opening hours, and how they read."""

from collections.abc import Iterable
from datetime import datetime, time

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
