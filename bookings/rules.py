"""Pure rules (no ORM, no I/O): periods, local time, elapsed time, public holidays, valuation.

Times are stored in UTC and reasoned about in the site's local time (Europe/Paris): a weekly
18:00 meeting stays at 18:00 across clock changes, and a wall-clock time that does not exist
(02:30 on the March change day) is refused rather than silently shifted.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from dateutil.easter import easter as dateutil_easter


class NonExistentLocalTimeError(ValueError):
    """The wall-clock time falls in the hour skipped when clocks go forward."""

    def __init__(self, local: datetime) -> None:
        super().__init__(local.isoformat())
        self.local = local


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Period needs aware datetimes")

    def overlaps(self, other: "Period") -> bool:
        return self.start < other.end and other.start < self.end

    @property
    def elapsed(self) -> timedelta:
        """Real elapsed time (23 h or 25 h over a clock change, not wall-clock difference)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)


def make_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach `zone` to a wall-clock time; raise NonExistentLocalTimeError if it does not exist there.

    An ambiguous time (the repeated hour in October) takes its first occurrence (fold=0).
    """
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive.replace(tzinfo=None, fold=0):
        raise NonExistentLocalTimeError(naive)
    return aware


def local_period(day: date, start: time, end: time, zone: ZoneInfo) -> Period:
    """The period from `start` to `end` on `day` in local time (end at 00:00 means midnight)."""
    end_day = day + timedelta(days=1) if end == time(0) else day
    return Period(
        make_local(datetime.combine(day, start), zone),
        make_local(datetime.combine(end_day, end), zone),
    )


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def month_pieces(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, timedelta]]:
    """[start, end) cut at the local midnights that begin a month: (first day of the local
    month, real elapsed time inside it), in order. Clocks never change at midnight in France,
    so a month's first instant is never ambiguous."""
    end = end.astimezone(UTC)
    cursor = start.astimezone(UTC)
    month = first_of_month(cursor.astimezone(zone).date())
    pieces = []
    while cursor < end:
        following = next_month(month)
        boundary = datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC)
        until = min(boundary, end)
        pieces.append((month, until - cursor))
        cursor, month = until, following
    return pieces


def french_public_holidays(year: int) -> dict[date, str]:
    """The eleven public holidays of mainland France (Code du travail L3133-1)."""
    easter = dateutil_easter(year)  # Western (Gregorian) Easter Sunday
    return {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def year_fraction(*, start: date, end: date, year: int) -> Fraction:
    """The share of calendar `year` covered by [start, end), counting that year's real days."""
    first, after_last = max(start, date(year, 1, 1)), min(end, date(year + 1, 1, 1))
    if first >= after_last:
        return Fraction(0)
    return Fraction((after_last - first).days, days_in_year(year))


def in_kind_value_cents(
    *, reference_rent_cents_per_year: int, annual_fee_cents: int, start: date, end: date, year: int
) -> int:
    """The in-kind aid of an agreement for one calendar year, in cents (never negative).

    The benefit is the reference rental value the occupant does not pay: (rental value − fee)
    over the part of the year the agreement covers (art. 9-1 loi 2000-321). A fee at or above
    the rental value is no aid at all.
    """
    yearly_benefit = max(0, reference_rent_cents_per_year - annual_fee_cents)
    share = year_fraction(start=start, end=end, year=year)
    return int((yearly_benefit * share).__round__())


def reference_rent_cents_per_year(*, rent_per_m2_year: Decimal, surface_m2: Decimal) -> int:
    """Rental value of a space for a year, in cents, from €/m²/year × m²."""
    return int((rent_per_m2_year * surface_m2 * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- Check-in at the door (issue 16) ---

RELEASE_STEP = timedelta(minutes=5)


def check_in_window(
    *, start: datetime, grace_minutes: int, opens_before_minutes: int
) -> tuple[datetime, datetime]:
    """When a date starting at `start` may be checked in: [opens, closes), from
    `opens_before_minutes` before its start to the end of its grace period."""
    return (
        start - timedelta(minutes=opens_before_minutes),
        start + timedelta(minutes=grace_minutes),
    )


def release_moment(now: datetime, step: timedelta = RELEASE_STEP) -> datetime:
    """The moment a no-show's slot is released from: `now` rounded up to the next `step` of
    UTC time (14:07:10 → 14:10), so that the freed part starts on a round minute. Steps divide
    the hour, and Paris is a whole number of hours from UTC: the local time is round too."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - now) // step)  # ceiling division of timedeltas
    return epoch + steps * step


def period_minus(period: Period, holes: Iterable[Period]) -> list[Period]:
    """What is left of `period` once `holes` are taken out of it, in order (issue 17: an
    agreement's row around its shared times)."""
    pieces = [period]
    for hole in sorted(holes, key=lambda hole: hole.start):
        kept = []
        for piece in pieces:
            if not piece.overlaps(hole):
                kept.append(piece)
                continue
            if piece.start < hole.start:
                kept.append(Period(piece.start, hole.start))
            if hole.end < piece.end:
                kept.append(Period(hole.end, piece.end))
        pieces = kept
    return pieces
