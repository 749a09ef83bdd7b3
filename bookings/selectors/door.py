"""A room's planning for its door (issue 17): its weeks, or its typical week over a school year.

Read from Occupancy, the single truth, so it shows the season's published series, every hourly
booking, agreements and closures alike. Times are the site's local time (Europe/Paris): a
weekly 18:00 stays 18:00 across the clock changes, and a day runs from local midnight to local
midnight. One query whatever the number of rows, for a week, several weeks or a school year.

Two versions, chosen by the caller (the view decides who sees which):
- named (the room's managers): each booking says the structure's name, and its purpose when
  `purposes` is asked for; an agreement says its structure;
- public (anyone who may see the room): « Réservé », like the public week of the space
  (`busy_periods`), which shows no names either. Closures say their reason in both, as they
  already do on the public week.
A request awaiting approval holds its slot and says so, in both versions (the public week does).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from bookings.models import Frequency, Occupancy, OccupancyKind
from bookings.models.occupancy import BookingStatus
from bookings.rules import Period
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import occupancies_overlapping
from spaces.models import Space

# The most weeks one planning shows (a PDF prints one page per week): a term at most.
DOOR_MAX_WEEKS = 13
# The first month of a school year (1 September to 31 August).
SCHOOL_YEAR_FIRST_MONTH = 9
# A printed week holds this many lines (a slot, or "free" for an empty day; a long label counts
# for the lines it wraps onto) in large type on one column, then in two columns of medium type;
# then two columns of small type; beyond, of tiny type. A page per week as long as it fits (a
# week of 50 bookings with long purposes still does; a busier one runs onto a second page).
LINES_LARGE, LINES_MEDIUM, LINES_SMALL = 12, 36, 90
LABEL_CHARACTERS_PER_LINE = 25  # in a column of two, medium type


def _density(days: list) -> str:
    """The type size a printed page needs: "" (large), "medium", "small" or "tiny"."""
    lines = sum(
        max(1, sum(-(-len(slot.label) // LABEL_CHARACTERS_PER_LINE) for slot in day.slots))
        for day in days
    )
    if lines <= LINES_LARGE:
        return ""
    if lines <= LINES_MEDIUM:
        return "medium"
    return "small" if lines <= LINES_SMALL else "tiny"


@dataclass(frozen=True)
class DoorSlot:
    """One occupied stretch of a day, as printed: times in local time ("24:00" when it runs
    past midnight), what occupies it, and whether it is a closure or a request still pending."""

    start: str
    end: str
    label: str
    kind: str
    pending: bool = False
    whole_day: bool = False


@dataclass
class DoorDay:
    day: date
    slots: list[DoorSlot] = field(default_factory=list)


@dataclass
class DoorWeek:
    monday: date
    days: list[DoorDay]

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def slot_count(self) -> int:
        return sum(len(day.slots) for day in self.days)

    @property
    def density(self) -> str:
        return _density(self.days)


@dataclass(frozen=True)
class SeasonSlot:
    """A weekly series on one weekday of the typical week: its local times, who (or
    « Réservé »), its first and last dates in the school year, how many dates it holds there and
    how many weeks between them it skips (school holidays, public holidays, cancelled dates)."""

    start: str
    end: str
    label: str
    pending: bool
    first: date
    last: date
    dates: int
    skipped: int


@dataclass
class SeasonDay:
    weekday: int  # Monday = 0
    slots: list[SeasonSlot] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(WEEKDAYS[self.weekday])


@dataclass
class DoorSeason:
    year: int  # the school year runs from 1 September of `year` to 31 August of `year + 1`
    first_day: date
    last_day: date
    days: list[SeasonDay]

    @property
    def slot_count(self) -> int:
        return sum(len(day.slots) for day in self.days)

    @property
    def density(self) -> str:
        return _density(self.days)


def school_year_of(day: date) -> int:
    """The school year `day` falls in, named by its first calendar year (2027 for 2027–2028)."""
    return day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def _hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _booking_label(
    *, named: bool, purposes: bool, organisation: str, purpose: str, pending: bool
) -> str:
    if not named:
        label = _("Reserved")
    elif purposes and purpose:
        label = _("%(structure)s — %(purpose)s") % {"structure": organisation, "purpose": purpose}
    else:
        label = organisation
    if pending:
        label = _("%(label)s (awaiting approval)") % {"label": label}
    return label


def _label(row: Occupancy, *, named: bool, purposes: bool) -> str:
    if row.closure is not None:
        return _("Closed: %(reason)s") % {"reason": row.closure.reason}
    if row.booking is not None:
        return _booking_label(
            named=named,
            purposes=purposes,
            organisation=row.booking.organisation.name,
            purpose=row.booking.purpose,
            pending=row.booking.status == BookingStatus.PENDING,
        )
    if named and row.allocation is not None:
        return _("Occupancy agreement: %(structure)s") % {
            "structure": row.allocation.structure.name
        }
    return _("Reserved")


def door_weeks(
    *, space: Space, monday: date, weeks: int = 1, named: bool, purposes: bool = False
) -> list[DoorWeek]:
    """`weeks` weeks of `space` from `monday` (a Monday), each day's occupied slots in time
    order. A row running over several days (a closure for the holidays) is shown on each day it
    touches, cut at midnight ("Toute la journée" when it covers the day). One query."""
    weeks = max(1, min(weeks, DOOR_MAX_WEEKS))
    zone = local_zone()
    first, stop = _midnight(monday), _midnight(monday + timedelta(days=7 * weeks))
    rows = (
        occupancies_overlapping(spaces=space, periods=Period(first, stop), buffers=False)
        .select_related(
            "booking", "booking__organisation", "closure", "allocation", "allocation__structure"
        )
        .order_by("start", "pk")
    )
    days = [DoorDay(day=monday + timedelta(days=offset)) for offset in range(7 * weeks)]
    bounds = [(_midnight(day.day), _midnight(day.day + timedelta(days=1))) for day in days]
    for row in rows:
        label = _label(row, named=named, purposes=purposes)
        pending = row.booking is not None and row.booking.status == BookingStatus.PENDING
        start, end = row.start.astimezone(zone), row.end.astimezone(zone)
        for day, (day_start, day_end) in zip(days, bounds, strict=True):
            if start >= day_end or end <= day_start:
                continue
            cut_start, cut_end = max(start, day_start), min(end, day_end)
            day.slots.append(
                DoorSlot(
                    start=_hhmm(cut_start),
                    end="24:00" if cut_end == day_end else _hhmm(cut_end),
                    label=label,
                    kind=row.kind,
                    pending=pending,
                    whole_day=cut_start == day_start and cut_end == day_end,
                )
            )
    for day in days:  # a row cut at midnight starts the next day at 00:00: keep time order
        day.slots.sort(key=lambda slot: (slot.start, slot.end))
    return [DoorWeek(monday=days[7 * n].day, days=days[7 * n : 7 * n + 7]) for n in range(weeks)]


def door_season(*, space: Space, year: int, named: bool, purposes: bool = False) -> DoorSeason:
    """The typical week of `space` over the school year `year` (1 September – 31 August): the
    weekly booking series holding dates there, per weekday, in time order, each with its first
    and last dates of the year. A series whose dates do not all fall at the same local times
    (one date moved) shows one line per set of times. One query."""
    zone = local_zone()
    first_day = date(year, SCHOOL_YEAR_FIRST_MONTH, 1)
    stop_day = date(year + 1, SCHOOL_YEAR_FIRST_MONTH, 1)
    rows = (
        Occupancy.objects.filter(
            space=space,
            active=True,
            kind=OccupancyKind.BOOKING,
            booking__frequency=Frequency.WEEKLY,
            start__gte=_midnight(first_day),
            start__lt=_midnight(stop_day),
        )
        .order_by("start", "pk")
        .values_list(
            "booking_id",
            "start",
            "end",
            "booking__status",
            "booking__purpose",
            "booking__organisation__name",
        )
    )
    groups: dict[tuple, list[date]] = defaultdict(list)
    details: dict[int, tuple[str, str, str]] = {}
    for booking_id, start, end, status, purpose, organisation in rows:
        start, end = start.astimezone(zone), end.astimezone(zone)
        end_text = "24:00" if end.date() > start.date() else _hhmm(end)
        groups[(start.weekday(), _hhmm(start), end_text, booking_id)].append(start.date())
        details[booking_id] = (status, purpose, organisation)
    days = [SeasonDay(weekday=weekday) for weekday in range(7)]
    for (weekday, start, end, booking_id), dates in groups.items():
        status, purpose, organisation = details[booking_id]
        pending = status == BookingStatus.PENDING
        weeks_spanned = (dates[-1] - dates[0]).days // 7 + 1
        days[weekday].slots.append(
            SeasonSlot(
                start=start,
                end=end,
                label=_booking_label(
                    named=named,
                    purposes=purposes,
                    organisation=organisation,
                    purpose=purpose,
                    pending=pending,
                ),
                pending=pending,
                first=dates[0],
                last=dates[-1],
                dates=len(dates),
                skipped=max(0, weeks_spanned - len(dates)),
            )
        )
    for day in days:
        day.slots.sort(key=lambda slot: (slot.start, slot.end, slot.first, slot.label))
    return DoorSeason(
        year=year, first_day=first_day, last_day=stop_day - timedelta(days=1), days=days
    )
