"""Weekly series placed by the owner of the spaces, many at once, without a request (issue 17:
a season's plan published as bookings).

The owner's side: no approval (confirmed at once), no booking rule of the hourly requests (the
campaign's own rules decided), no payment (the commune's committee decided the slots; the
payments app hears no `booking_status_changed` for them, docs/decisions.md issue 17), but the
one guarantee of the platform, no double booking: the spaces are locked in id order, every date
is checked against the active Occupancy rows of its space (hourly bookings, closures, agreements)
and against the other series of the same call, with the spaces' buffers, BEFORE anything is
written; any clash raises SeriesClashes listing them all and nothing is written. Then one Event
per series (`bookings.scheduler.weekly_series_create_many`: the weekly rule and the weeks not
held as EXDATEs), the bookings, their dates (`occupancies_book_many`, the one writer) and their
log rows, each in a few statements whatever their number. On PostgreSQL the exclusion
constraint has the last word: a writer that bypassed the locks makes the insert fail with
BookingConflict, and the caller's transaction rolls back.
"""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import is_platform, logged_actor
from accounts.models import User
from bookings import scheduler
from bookings.exceptions import SeriesClashes
from bookings.models import Booking, BookingLog, BookingStatus, Frequency, Occupancy
from bookings.rules import Period
from bookings.selectors import local_zone
from bookings.selectors.overlap import occupancies_overlapping
from bookings.services.changes import _spaces_locked
from bookings.services.occupancy import occupancies_book_many
from bookings.services.requests import _clash_reason, _lapsed, bookings_expire_lapsed
from core.formats import day_text, time_text
from core.signals import status_changed_in_transaction
from spaces.models import Space
from spaces.selectors import spaces_manageable_by


@dataclass(frozen=True)
class SeriesPlacement:
    """One weekly series to place: `key` is the caller's id for it (a plan's assignment);
    `periods` the dates it holds, in order, all on one weekday at one local time."""

    key: int
    space_id: int
    organisation_id: int
    requested_by_id: int
    purpose: str
    attendees: int
    periods: tuple[Period, ...]


@dataclass(frozen=True)
class PlacementClash:
    """A date of a placement that cannot be held: the row in the way (`other_key` when it is
    another placement of the same call) and why, in plain words."""

    key: int
    period: Period
    reason: str
    other_key: int | None = None
    row: Occupancy | None = field(default=None, compare=False, repr=False)


def _overlapping(
    period: Period, buffer: timedelta, starts: list[datetime], rows: list[Occupancy]
) -> list[Occupancy]:
    """The rows (a space's active rows, by start; they never overlap one another, so their
    blocked_until follow the same order) that [start, end + buffer) of `period` meets."""
    found = []
    index = bisect_left(starts, period.end + buffer)
    # Walk back from the last row starting before the period's (buffered) end while rows may
    # still reach into it: a row before another ends before that one starts.
    while index > 0:
        index -= 1
        row = rows[index]
        if row.blocked_until <= period.start:
            break
        found.append(row)
    return found


def placement_clashes(
    *, placements: list[SeriesPlacement], spaces: dict[int, Space]
) -> list[PlacementClash]:
    """Every date of `placements` that clashes with an active Occupancy row of its space or
    with a date of another placement (the spaces' buffers counted as the exclusion constraint
    counts them). One query for the rows, whatever the number of dates. Reads only: a caller
    that writes next holds the spaces' locks."""
    if not placements:
        return []
    zone = local_zone()
    first = min(p.periods[0].start for p in placements if p.periods)
    last = max(p.periods[-1].end for p in placements if p.periods)
    buffers = {pk: timedelta(minutes=space.buffer_minutes) for pk, space in spaces.items()}
    rows_of: dict[int, list[Occupancy]] = defaultdict(list)
    for row in (
        occupancies_overlapping(
            spaces=sorted(spaces),
            periods=Period(first, last),
            buffer=max(buffers.values(), default=timedelta(0)),
        )
        .select_related("booking", "closure")
        .order_by("space_id", "start")
    ):
        rows_of[row.space_id].append(row)
    starts_of = {space_id: [row.start for row in rows] for space_id, rows in rows_of.items()}
    clashes = []
    dates_of: dict[int, list[tuple[Period, int]]] = defaultdict(list)
    for placement in placements:
        buffer = buffers[placement.space_id]
        rows = rows_of.get(placement.space_id, [])
        starts = starts_of.get(placement.space_id, [])
        for period in placement.periods:
            dates_of[placement.space_id].append((period, placement.key))
            for row in _overlapping(period, buffer, starts, rows):
                clashes.append(
                    PlacementClash(
                        placement.key, period, _clash_reason(period, row, buffer), row=row
                    )
                )
    # The placements among themselves: a space's dates by start, each against those before it
    # that still block it (their end plus the buffer).
    for space_id, held in dates_of.items():
        buffer = buffers[space_id]
        held.sort(key=lambda item: (item[0].start, item[1]))
        running: list[tuple[Period, int]] = []
        for period, key in held:
            running = [(p, k) for p, k in running if p.end + buffer > period.start]
            for other, other_key in running:
                if other_key == key:
                    continue
                start = other.start.astimezone(zone)
                clashes.append(
                    PlacementClash(
                        key,
                        period,
                        _(
                            "Overlaps another slot placed at the same time, on %(day)s from "
                            "%(start)s to %(end)s."
                        )
                        % {
                            "day": day_text(start.date()),
                            "start": time_text(start.time()),
                            "end": time_text(other.end.astimezone(zone).time()),
                        },
                        other_key=other_key,
                    )
                )
            running.append((period, key))
    return clashes


@transaction.atomic
def bookings_place_series(
    *,
    placements: list[SeriesPlacement],
    actor: User,
    reason: str,
    now: datetime | None = None,
) -> dict[int, Booking]:
    """Place `placements` as confirmed weekly series of their structures, all or nothing (see
    the module's docstring); `reason` goes to each booking's first log row. Only someone who
    manages every space concerned (PermissionDenied otherwise). Raises SeriesClashes naming
    every clashing date, or BookingConflict if the database refuses a date (a writer that
    bypassed the locks: the transaction is then to be rolled back). Returns the bookings by
    placement key."""
    if is_platform(actor) or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    placements = [p for p in placements if p.periods]
    ids = {p.space_id for p in placements}
    if spaces_manageable_by(actor).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied
    if not placements:
        return {}
    now = now or timezone.now()
    zone = local_zone()
    spaces = _spaces_locked(ids)
    clashes = placement_clashes(placements=placements, spaces=spaces)
    lapsed = {
        clash.row.space_id for clash in clashes if clash.row is not None and _lapsed(clash.row, now)
    }
    if lapsed:
        # Requests nobody decided in time still hold their slots until they lapse: lapse them
        # now (as a request does), then look again.
        for space_id in sorted(lapsed):
            bookings_expire_lapsed(now=now, space=spaces[space_id])
        clashes = placement_clashes(placements=placements, spaces=spaces)
    if clashes:
        raise SeriesClashes(clashes)
    events = scheduler.weekly_series_create_many(
        series=[
            scheduler.WeeklyDates(calendar_key=p.space_id, title=p.purpose, periods=list(p.periods))
            for p in placements
        ],
        zone=zone,
    )
    bookings = Booking.objects.bulk_create(
        [
            Booking(
                space=spaces[p.space_id],
                organisation_id=p.organisation_id,
                requested_by_id=p.requested_by_id,
                purpose=p.purpose.strip()[:200],
                attendees=p.attendees,
                status=BookingStatus.CONFIRMED,
                start=p.periods[0].start,
                end=p.periods[0].end,
                frequency=Frequency.WEEKLY,
                repeat_until=p.periods[-1].start.astimezone(zone).date(),
                event=event,
            )
            for p, event in zip(placements, events, strict=True)
        ],
        batch_size=500,
    )
    occupancies_book_many(
        held=[(booking, list(p.periods)) for booking, p in zip(bookings, placements, strict=True)]
    )
    BookingLog.objects.bulk_create(
        [
            BookingLog(
                booking=booking,
                to_status=BookingStatus.CONFIRMED,
                actor=logged_actor(actor),
                reason=reason.strip(),
            )
            for booking in bookings
        ],
        batch_size=1_000,
    )
    for booking in bookings:
        # Webhooks hear of a confirmed booking as of any other (in this transaction); the
        # after-commit `booking_status_changed` is not sent: no payment follows a placement.
        status_changed_in_transaction.send(
            sender=Booking, pk=booking.pk, from_status="", to_status=BookingStatus.CONFIRMED
        )
    return {p.key: booking for p, booking in zip(placements, bookings, strict=True)}
