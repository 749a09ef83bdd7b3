"""Pure rules about spaces (no ORM, no I/O): opening hours."""

from collections.abc import Iterable
from datetime import datetime, time


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
