"""What calendars show, read from Occupancy (never expanded): a space's busy periods, the
entries of the HTML calendars and their JSON feed, and the site timeline of the managers."""

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.selectors import AnyUser, organisations_of
from bookings.models import BookingStatus, Occupancy, OccupancyKind
from bookings.rules import Period
from bookings.selectors.overlap import occupancies_overlapping, occupancy_overlap_q
from spaces.models import OpeningHours, Space
from spaces.selectors import sites_manageable_by


def space_occupancy(*, space: Space, start: datetime, end: datetime) -> QuerySet[Occupancy]:
    """Active occupancy of a space in a window, with what a calendar shows, in one query."""
    return (
        occupancies_overlapping(spaces=space, periods=Period(start, end), buffers=False)
        .select_related("booking", "booking__organisation", "closure")
        .order_by("start")
    )


def busy_periods(
    *, user: AnyUser, space: Space, start: datetime, end: datetime, is_manager: bool
) -> list[dict]:
    """What a week view shows; who booked is shown to managers and to the booking's own members."""
    own = (
        set(organisations_of(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    )
    periods = []
    for occupancy in space_occupancy(space=space, start=start, end=end):
        booking = occupancy.booking
        shown = booking is not None and (is_manager or booking.organisation_id in own)
        if occupancy.closure is not None:
            label = occupancy.closure.reason
        elif shown:
            label = f"{booking.organisation.name} — {booking.purpose}"
        else:
            label = None
        periods.append(
            {
                "start": occupancy.start,
                "end": occupancy.end,
                "kind": occupancy.kind,
                "status": booking.status if booking is not None else None,
                "label": label,
                "booking_id": booking.pk if shown else None,
            }
        )
    return periods


# The longest window a calendar may ask for: a month view shows six weeks.
CALENDAR_MAX_DAYS = 62


@dataclass(frozen=True)
class CalendarEntry:
    """One active occupancy row as a calendar shows it."""

    start: datetime
    end: datetime
    space_name: str  # "whole site" for a site closure shown once for all its spaces
    kind: str
    status: str | None  # the booking's status; None for closures and allocations
    title: str  # the status first (never colour alone), then who or why when visible
    booking_id: int | None  # only when the user may see who booked

    @property
    def css_class(self) -> str:
        return f"cal-{self.status if self.kind == OccupancyKind.BOOKING else self.kind}"


def occupancies_in_window(
    *, spaces: QuerySet[Space], start: datetime, end: datetime
) -> QuerySet[Occupancy]:
    """Active occupancy of `spaces` overlapping [start, end), with what a calendar shows."""
    return (
        occupancies_overlapping(spaces=spaces, periods=Period(start, end), buffers=False)
        .select_related("space", "booking", "booking__organisation", "closure")
        .order_by("start", "space__name", "pk")
    )


def _entry_title(occupancy: Occupancy, *, shown: bool) -> str:
    booking = occupancy.booking
    if occupancy.closure is not None:
        return _("Closed: %(reason)s") % {"reason": occupancy.closure.reason}
    if booking is None:
        return _("Allocated")
    status = BookingStatus(booking.status).label
    if not shown:
        return str(status)
    return _("%(status)s: %(organisation)s — %(purpose)s") % {
        "status": status,
        "organisation": booking.organisation.name,
        "purpose": booking.purpose,
    }


def calendar_entries(
    *,
    user: AnyUser,
    spaces: QuerySet[Space],
    start: datetime,
    end: datetime,
    with_space: bool = False,
) -> list[CalendarEntry]:
    """What a calendar shows for `spaces` in [start, end): read from Occupancy, never expanded.

    Who booked (and a link to the booking) is shown to the managers of the site and to the
    booking's own organisation; others see only the status. A site closure, stored once per
    space, is shown once. `with_space` prefixes each title with the space's name. Three queries
    whatever the number of rows.
    """
    managed = set(
        sites_manageable_by(user)
        .filter(pk__in=spaces.values("site_id"))
        .values_list("pk", flat=True)
    )
    own = (
        set(organisations_of(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    )
    rows = occupancies_in_window(spaces=spaces, start=start, end=end)
    return _entries(rows, managed=managed, own=own, with_space=with_space)


def calendar_entries_of_user(
    *, user: AnyUser, start: datetime, end: datetime
) -> list[CalendarEntry]:
    """The requester's calendar: the dates booked by the user's organisations in [start, end),
    whatever the space, each titled with its space. Two queries whatever the number of rows."""
    own = (
        set(organisations_of(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    )
    rows = (
        Occupancy.objects.filter(
            occupancy_overlap_q(Period(start, end), buffers=False),
            active=True,
            booking__organisation_id__in=own,
        )
        .select_related("space", "booking", "booking__organisation", "closure")
        .order_by("start", "space__name", "pk")
    )
    return _entries(rows, managed=set(), own=own, with_space=True)


def _entries(
    rows: QuerySet[Occupancy], *, managed: set[int], own: set[int], with_space: bool
) -> list[CalendarEntry]:
    entries = []
    closures_seen: set[int] = set()
    for occupancy in rows:
        closure, booking = occupancy.closure, occupancy.booking
        space_name = occupancy.space.name
        if closure is not None and closure.site_id is not None:
            if closure.pk in closures_seen:
                continue
            closures_seen.add(closure.pk)
            space_name = _("whole site")
        shown = booking is not None and (
            occupancy.space.site_id in managed or booking.organisation_id in own
        )
        title = _entry_title(occupancy, shown=shown)
        if with_space:
            title = _("%(space)s — %(title)s") % {"space": space_name, "title": title}
        entries.append(
            CalendarEntry(
                start=occupancy.start,
                end=occupancy.end,
                space_name=space_name,
                kind=occupancy.kind,
                status=booking.status if booking is not None else None,
                title=title,
                booking_id=booking.pk if shown else None,
            )
        )
    return entries


# Where a week view opens when the spaces shown have no opening hours (they are always open).
DEFAULT_DAY_START, DEFAULT_DAY_END = time(8), time(20)


@dataclass(frozen=True)
class CalendarHours:
    """The hours a week or day view shows, from the opening hours of the spaces it covers.

    `always_open`: at least one space has no opening hours, so the view keeps the whole day
    (nothing booked is hidden) and only scrolls to DEFAULT_DAY_START. Otherwise the view runs
    from the earliest opening to the latest closing (whole hours), and `windows` holds
    (weekday, opens, closes) with Monday = 0 for the shading of the open hours.
    """

    start: time
    end: time | None  # None: midnight at the end of the day
    always_open: bool
    windows: tuple[tuple[int, time, time], ...]


def calendar_hours(*, spaces: QuerySet[Space]) -> CalendarHours:
    """The hours to show for `spaces`, in two queries whatever their number."""
    rows = list(
        OpeningHours.objects.filter(space__in=spaces).values_list(
            "space_id", "weekday", "opens", "closes"
        )
    )
    windows = tuple(sorted({(day, opens, closes) for _, day, opens, closes in rows}))
    limited = {space_id for space_id, *_ in rows}
    always_open = not windows or spaces.exclude(pk__in=limited).exists()
    if always_open:
        return CalendarHours(DEFAULT_DAY_START, DEFAULT_DAY_END, True, windows)
    first = min(opens for _, opens, _ in windows)
    last = max(closes for _, _, closes in windows)
    end = None if last > time(23) else time(last.hour + (1 if last.minute or last.second else 0))
    return CalendarHours(time(first.hour), end, False, windows)


@dataclass(frozen=True)
class TimelineEntry:
    """One active occupancy row on a site timeline."""

    start: datetime
    end: datetime
    kind: str
    label: str  # who (or why, for a closure), then the status
    allocation_id: int | None
    booking_id: int | None


@dataclass
class TimelineRow:
    """A space of the site and its occupancy in the window, oldest first."""

    space: Space
    entries: list[TimelineEntry]


def _timeline_label(occupancy: Occupancy) -> str:
    if occupancy.allocation is not None:
        return _("Agreement with %(structure)s (%(status)s)") % {
            "structure": occupancy.allocation.structure.name,
            "status": occupancy.allocation.get_status_display().lower(),
        }
    if occupancy.booking is not None:
        return _("%(organisation)s — %(purpose)s (%(status)s)") % {
            "organisation": occupancy.booking.organisation.name,
            "purpose": occupancy.booking.purpose,
            "status": occupancy.booking.get_status_display().lower(),
        }
    return _("Closed: %(reason)s") % {"reason": occupancy.closure.reason}


def site_timeline(*, site_id: int, start: datetime, end: datetime) -> list[TimelineRow]:
    """Each space of a site with its agreements, bookings and closures in [start, end).

    For the site's managers (names are shown). Read from Occupancy: two queries whatever the
    number of spaces and rows.
    """
    rows = {
        space.pk: TimelineRow(space=space, entries=[])
        for space in Space.objects.filter(site_id=site_id).order_by("floor", "name", "pk")
    }
    occupancy = (
        occupancies_overlapping(
            spaces=Space.objects.filter(site_id=site_id), periods=Period(start, end), buffers=False
        )
        .select_related(
            "booking", "booking__organisation", "closure", "allocation", "allocation__structure"
        )
        .order_by("start", "pk")
    )
    for row in occupancy:
        rows[row.space_id].entries.append(
            TimelineEntry(
                start=row.start,
                end=row.end,
                kind=row.kind,
                label=_timeline_label(row),
                allocation_id=row.allocation_id,
                booking_id=row.booking_id,
            )
        )
    return list(rows.values())
