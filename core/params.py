"""Dates and years read from query strings, URLs and forms: one parser, bounded years.

A date picked by a visitor feeds week and month arithmetic, time-zone conversions and database
queries. Python's calendar stops at years 1 and 9999, so 0001-01-01 minus a week, or
9999-12-31 plus a week or converted to UTC, raises (a 500). Every date that comes from a request
therefore goes through this module, which refuses malformed and impossible dates and years
outside YEAR_MIN–YEAR_MAX.

Why fixed bounds rather than a window around today: a link stays valid whatever the day it is
opened, reports cover past years, and the bounds leave decades of margin on both sides for
the widest arithmetic the pages do (a timeline of 24 months back and forth, a series of 12
months, a conversion to UTC), far from Python's limits.
"""

import re
from datetime import date, datetime, time

from django.utils.translation import gettext as _

YEAR_MIN, YEAR_MAX = 1900, 2200

# Strict ISO forms only: datetime.fromisoformat would also take week dates ("2027-W05-1"),
# and a trailing newline slips through regular expressions anchored with $.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)


class BadParameter(ValueError):
    """A request parameter that is not a usable date; its message is for the user."""


def year_in_range(year: int) -> bool:
    return YEAR_MIN <= year <= YEAR_MAX


def out_of_range_message(name: str) -> str:
    return _("“%(name)s” must be a date between the years %(first)s and %(last)s.") % {
        "name": name,
        "first": YEAR_MIN,
        "last": YEAR_MAX,
    }


def _invalid(name: str) -> BadParameter:
    return BadParameter(
        _("“%(name)s” is not a valid date: give an existing day as YYYY-MM-DD.") % {"name": name}
    )


def parse_date_param(value: str | None, *, name: str) -> date | None:
    """The date in `value` (YYYY-MM-DD), or None when it is absent or empty.

    Raises BadParameter when the value is malformed, impossible (30 February) or out of range.
    """
    if value is None or value == "":
        return None
    if not _DATE.fullmatch(value):
        raise _invalid(name)
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(name) from exc
    if not year_in_range(day.year):
        raise BadParameter(out_of_range_message(name))
    return day


def parse_datetime_param(value: str | None, *, name: str) -> datetime | None:
    """A date or date-time in ISO 8601 (an offset is kept, a date means its midnight).

    None when absent or empty; the result is naive when no offset was given (the caller decides
    which zone that is). Raises BadParameter when malformed, impossible or out of range.
    """
    if value is None or value == "":
        return None
    if _DATE.fullmatch(value):
        day = parse_date_param(value, name=name)
        return datetime.combine(day, time(0)) if day else None
    if not _DATETIME.fullmatch(value):
        raise _invalid(name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _invalid(name) from exc
    if not year_in_range(moment.year):
        raise BadParameter(out_of_range_message(name))
    return moment
