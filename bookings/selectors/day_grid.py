"""A site's day as a grid of rooms × hours (the page bookings:calendar-site-day), read from
Occupancy in a fixed number of queries whatever the number of rooms and rows.

The columns run from the earliest opening to the latest closing of the rooms that day (whole
hours, or half-hours when a room opens or closes on the half-hour), widened to anything
occupying a room that day, so nothing booked is ever hidden. Rooms without opening hours are
always open; they show DEFAULT_DAY_START–DEFAULT_DAY_END when nothing else sets the bounds.
Each cell is free (a link to request that room at that time), busy, closed, outside the opening
hours, or past; consecutive cells of the same occupancy are merged into one cell.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import AnyUser, organisations_of
from bookings.models import BookingStatus, Occupancy
from bookings.rules import NonExistentLocalTimeError, Period, make_local
from bookings.selectors.calendars import DEFAULT_DAY_END, DEFAULT_DAY_START
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import occupancies_overlapping
from core.formats import time_text
from spaces.models import OpeningHours, Site, Space
from spaces.rules import within_opening_hours
from spaces.selectors import sites_manageable_by, spaces_visible_to

DAY_MINUTES = 24 * 60


class CellState:
    FREE = "free"
    BUSY = "busy"
    CLOSED = "closed"  # a closure: the reason is shown to everyone
    OUTSIDE = "outside"  # outside the room's opening hours
    PAST = "past"


@dataclass(frozen=True)
class Slot:
    """One column: [start, end) in local time; `label` is its start as people say it."""

    start: datetime
    end: datetime
    label: str


@dataclass
class GridCell:
    state: str
    text: str
    start: datetime
    end: datetime
    span: int = 1
    booking_id: int | None = None
    key: tuple | None = None  # cells with the same key side by side are merged


@dataclass
class GridRow:
    space: Space
    cells: list[GridCell] = field(default_factory=list)


@dataclass(frozen=True)
class DayGrid:
    site: Site
    day: date
    slots: list[Slot]
    rows: list[GridRow]


def _minutes(moment: datetime, day: date) -> int:
    """Minutes since the local midnight of `day`, clipped to the day (wall clock)."""
    local = moment.astimezone(local_zone())
    if local.date() < day:
        return 0
    if local.date() > day:
        return DAY_MINUTES
    return local.hour * 60 + local.minute


def _at(day: date, minutes: int) -> datetime:
    """The aware local time `minutes` after midnight of `day` (1440: the next midnight)."""
    if minutes >= DAY_MINUTES:
        return make_local(datetime.combine(day + timedelta(days=1), time(0)), local_zone())
    return make_local(datetime.combine(day, time(minutes // 60, minutes % 60)), local_zone())


def _bounds(
    day: date, hours: dict[int, list[tuple[int, time, time]]], spaces: list[Space], rows: list
) -> tuple[int, int, int]:
    """First minute, last minute and step of the columns."""
    weekday = day.weekday()
    marks: list[int] = []
    for space in spaces:
        windows = hours.get(space.pk)
        if not windows:
            marks += [DEFAULT_DAY_START.hour * 60, DEFAULT_DAY_END.hour * 60]
            continue
        for day_of_week, opens, closes in windows:
            if day_of_week == weekday:
                marks += [opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute]
    for occupancy in rows:
        marks += [_minutes(occupancy.start, day), _minutes(occupancy.end, day)]
    if not marks:
        marks = [DEFAULT_DAY_START.hour * 60, DEFAULT_DAY_END.hour * 60]
    step = 30 if any(mark % 60 for mark in marks) else 60
    first = min(marks) // step * step
    last = -(-max(marks) // step) * step
    return first, max(last, first + step), step


def _slots(day: date, first: int, last: int, step: int) -> list[Slot]:
    slots = []
    for minutes in range(first, last, step):
        try:
            start, end = _at(day, minutes), _at(day, minutes + step)
        except NonExistentLocalTimeError:
            continue  # the hour skipped when clocks go forward
        label = time_text(time(minutes // 60, minutes % 60))
        slots.append(Slot(start=start, end=end, label=label))
    return slots


def _occupied(occupancy: Occupancy, *, managed: bool, own: set[int]) -> tuple[str, int | None]:
    """What a busy cell says, and the booking it links to when the user may know who."""
    booking = occupancy.booking
    if booking is not None:
        if not (managed or booking.organisation_id in own):
            return _("Busy"), None
        text = _("%(organisation)s — %(purpose)s") % {
            "organisation": booking.organisation.name,
            "purpose": booking.purpose,
        }
        if booking.status == BookingStatus.PENDING:
            text = _("%(status)s: %(title)s") % {
                "status": BookingStatus(booking.status).label,
                "title": text,
            }
        return text, booking.pk
    allocation = occupancy.allocation
    if allocation is not None and (managed or allocation.structure_id in own):
        return _("Agreement with %(structure)s") % {"structure": allocation.structure.name}, None
    return _("Busy"), None


def _cell(
    slot: Slot,
    occupancies: list[Occupancy],
    windows: list[tuple[int, time, time]],
    *,
    managed: bool,
    own: set[int],
    now: datetime,
) -> GridCell:
    zone = local_zone()
    meets = [o for o in occupancies if o.start < slot.end and o.end > slot.start]
    closure = next((o for o in meets if o.closure is not None), None)
    if closure is not None:
        text = _("Closed: %(reason)s") % {"reason": closure.closure.reason}
        return GridCell(CellState.CLOSED, text, slot.start, slot.end, key=("o", closure.pk))
    if meets:
        text, booking_id = _occupied(meets[0], managed=managed, own=own)
        key = ("o", meets[0].pk)
        return GridCell(CellState.BUSY, text, slot.start, slot.end, booking_id=booking_id, key=key)
    if not within_opening_hours(
        local_start=slot.start.astimezone(zone), local_end=slot.end.astimezone(zone), hours=windows
    ):
        text = _("Outside opening hours")
        return GridCell(CellState.OUTSIDE, text, slot.start, slot.end, key=("outside",))
    if slot.start < now:
        return GridCell(CellState.PAST, _("Past"), slot.start, slot.end, key=("past",))
    return GridCell(CellState.FREE, _("Book"), slot.start, slot.end)


def _merged(cells: list[GridCell]) -> list[GridCell]:
    merged: list[GridCell] = []
    for cell in cells:
        previous = merged[-1] if merged else None
        if previous is not None and cell.key is not None and previous.key == cell.key:
            previous.span += 1
            previous.end = cell.end
        else:
            merged.append(cell)
    return merged


def site_day_grid(*, user: AnyUser, site: Site, day: date) -> DayGrid:
    """The bookable rooms of `site` the user may see, by hours of `day` (local time).

    Who booked is shown to the site's managers and to the booking's own organisation; others
    read "Busy". Five queries whatever the number of rooms and rows.
    """
    spaces = list(
        spaces_visible_to(user).filter(site=site, bookable=True).order_by("floor", "name", "pk")
    )
    hours: dict[int, list[tuple[int, time, time]]] = {}
    for space_id, weekday, opens, closes in OpeningHours.objects.filter(
        space__in=[s.pk for s in spaces]
    ).values_list("space_id", "weekday", "opens", "closes"):
        hours.setdefault(space_id, []).append((weekday, opens, closes))
    whole_day = Period(_at(day, 0), _at(day, DAY_MINUTES))
    occupancies = list(
        occupancies_overlapping(spaces=[s.pk for s in spaces], periods=whole_day, buffers=False)
        .select_related(
            "booking", "booking__organisation", "closure", "allocation", "allocation__structure"
        )
        .order_by("start", "pk")
    )
    managed = sites_manageable_by(user).filter(pk=site.pk).exists()
    own = (
        set(organisations_of(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    )
    first, last, step = _bounds(day, hours, spaces, occupancies)
    slots = _slots(day, first, last, step)
    by_space: dict[int, list[Occupancy]] = {}
    for occupancy in occupancies:
        by_space.setdefault(occupancy.space_id, []).append(occupancy)
    now = timezone.now()
    rows = []
    for space in spaces:
        cells = [
            _cell(
                slot,
                by_space.get(space.pk, []),
                hours.get(space.pk, []),
                managed=managed,
                own=own,
                now=now,
            )
            for slot in slots
        ]
        rows.append(GridRow(space=space, cells=_merged(cells)))
    return DayGrid(site=site, day=day, slots=slots, rows=rows)
