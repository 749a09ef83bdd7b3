"""The dates of a weekly slot over a school year or one of its terms (issue 17). Pure: no ORM.

The school year runs from the first of September to the start of the summer holidays of zone B
(the Nord's; the `vacances-scolaires-france` package ships the official dates). Its terms end
where the Christmas and the spring holidays begin (the holidays open the next term), so the
three terms share out the year. A slot's dates skip the French public
holidays always, the school holidays of zone B when the space closes then (its campaign
setting, `CampaignSpace.closed_in_school_holidays`), and the days a closure touches the slot.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from vacances_scolaires_france import SchoolHolidayDates

from bookings.rules import french_public_holidays, make_local

ZONE = "B"
CHRISTMAS = "Vacances de Noël"
SPRING = "Vacances de printemps"
SUMMER = "Vacances d'été"


@lru_cache(maxsize=1)
def _holidays() -> SchoolHolidayDates:
    return SchoolHolidayDates()  # reads its CSV once


def is_school_holiday(day: date, zone: str = ZONE) -> bool:
    return _holidays().is_holiday_for_zone(day, zone)


def _first_day_of(name: str, after: date, zone: str = ZONE) -> date:
    """The first day of holiday `name` in `zone` after `after` (the package's dates)."""
    days = sorted(
        day
        for day, row in _holidays().data.items()
        if day > after and row["nom_vacances"] == name and row[f"vacances_zone_{zone.lower()}"]
    )
    if not days:
        raise ValueError(f"no {name} holidays after {after} for zone {zone}")
    return days[0]


def school_year_bounds(school_year: int) -> tuple[date, date]:
    """[1 September, first day of the summer holidays) of the school year starting then."""
    start = date(school_year, 9, 1)
    return start, _first_day_of(SUMMER, date(school_year + 1, 5, 1))


def period_bounds(school_year: int, period: str) -> tuple[date, date]:
    """[start, end) of the whole year ("year") or of a term ("term_1", "term_2", "term_3")."""
    start, end = school_year_bounds(school_year)
    christmas = _first_day_of(CHRISTMAS, start)
    spring = _first_day_of(SPRING, date(school_year + 1, 1, 1))
    return {
        "year": (start, end),
        "term_1": (start, christmas),
        "term_2": (christmas, spring),
        "term_3": (spring, end),
    }[period]


def slot_dates(
    *,
    weekday: int,
    start: date,
    end: date,
    closed_in_school_holidays: bool,
    closed_days: Iterable[date] = (),
) -> list[date]:
    """The days in [start, end) falling on `weekday`, without public holidays, without zone B
    school holidays if the space closes then, and without `closed_days`."""
    skipped = set(closed_days)
    public: set[date] = set()
    for year in range(start.year, end.year + 1):
        public |= set(french_public_holidays(year))
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    days = []
    while day < end:
        if (
            day not in public
            and day not in skipped
            and not (closed_in_school_holidays and is_school_holiday(day))
        ):
            days.append(day)
        day += timedelta(days=7)
    return days


def days_closed(
    *,
    days: Iterable[date],
    slot_start: time,
    slot_end: time,
    closures: Iterable[tuple[datetime, datetime]],
    zone: ZoneInfo,
) -> set[date]:
    """The days whose slot (local time) overlaps one of `closures` (aware [start, end))."""
    periods = list(closures)
    closed = set()
    for day in days:
        begins = make_local(datetime.combine(day, slot_start), zone)
        ends = make_local(datetime.combine(day, slot_end), zone)
        if any(start < ends and begins < end for start, end in periods):
            closed.add(day)
    return closed
