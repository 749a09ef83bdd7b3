"""The availability search: which bookable spaces are free for a period, in one query."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TimeField,
    Value,
)
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_allowed_to_book_for
from bookings.models import Occupancy
from bookings.rules import Period
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import occupancies_overlapping, tstzrange
from spaces.models import BufferMinutes, OpeningHours, SiteStatus, Space, SpaceStatus
from spaces.selectors import catalogue_spaces, open_to_kinds_q


@dataclass(frozen=True)
class Slot:
    """What the availability search compares, each value as its SQL takes it (so a compiled
    query can take each one as a placeholder: api.bookings): the period in UTC and `reach`, its
    end plus the longest buffer; the local day of the week and times of day (as `str(time)`:
    the text Django compares on SQLite); the integers that the float comparisons of the rules
    become (Django truncates a float compared with `<=` to an integer column, rounds it up
    with `>=`)."""

    start: datetime
    end: datetime
    reach: datetime
    weekday: int
    opens_by: str
    closes_after: str
    same_day: bool
    minutes: int
    notice_hours: int
    advance_days: int

    @classmethod
    def of(cls, period: Period, now: datetime) -> "Slot":
        hours_ahead = (period.start - now).total_seconds() / 3600
        zone = local_zone()
        start, end = period.start.astimezone(zone), period.end.astimezone(zone)
        return cls(
            start=period.start,
            end=period.end,
            reach=period.end + timedelta(minutes=max(BufferMinutes.values)),
            weekday=start.weekday(),
            opens_by=str(start.time()),
            closes_after=str(end.time()),
            same_day=start.date() == end.date(),
            minutes=int(period.elapsed.total_seconds() // 60),
            notice_hours=int(hours_ahead),
            advance_days=math.ceil(hours_ahead / 24),
        )


def _number(value: int) -> Value:
    """An integer compared with an integer column as a parameter (Django would leave out a
    comparison with a value beyond the column's range, which the database answers alike)."""
    return Value(value, output_field=IntegerField())


def _clock(text: str) -> Value | Cast:
    """A local time of day (`str(time)`) compared with a time column as Django compares a
    time: PostgreSQL reads it as a time, SQLite compares the stored text."""
    if connection.vendor == "postgresql":
        return Cast(Value(text), TimeField())
    return Value(text)


def _free_during(slot: Slot) -> Q:
    """Spaces with no active occupancy in [start, end + their buffer)."""
    # The rows the longest buffer reaches, then the outer space's own buffer (its column: no
    # join in the subquery).
    busy = occupancies_overlapping(spaces=OuterRef("pk"), periods=Period(slot.start, slot.reach))
    if connection.vendor == "postgresql":
        return ~Q(Exists(_overlapping_on_postgresql(busy, slot)))
    # One branch per buffer value (a short fixed list), so each branch compares plain columns.
    own_buffer = Q()
    for minutes in BufferMinutes.values:
        own_buffer |= Q(
            Exact(OuterRef("buffer_minutes"), minutes),
            start__lt=slot.end + timedelta(minutes=minutes),
        )
    return ~Q(Exists(busy.filter(own_buffer)))


def _overlapping_on_postgresql(busy: QuerySet[Occupancy], slot: Slot) -> QuerySet[Occupancy]:
    """The same rows, narrowed by a range test that the no-overlap constraint's GiST index
    (migration 0002, `tstzrange(start, blocked_until, '[)')`, active rows) answers, and by
    the space's own buffer as arithmetic (`start < end + buffer_minutes * 1 minute`).

    Without the range test, PostgreSQL reads every row of every space (one index scan per
    space): ~30 ms for 500 spaces and 200,000 rows; with it, one index scan finds the few
    hundred rows near the slot, widened by the longest buffer (~1.6 ms; docs/benchmarks.md).
    The buffer as one expression rather than one branch per value (SQLite's spelling): with
    the branches the planner expected one row near the slot and tested every row found against
    every space (a nested loop: ~42,000 tests of five branches on the bench data); with the
    expression it hashes the rows found by space (a hash anti-join), 3-5 ms less.
    """
    own_buffer = ExpressionWrapper(
        Value(slot.end) + OuterRef("buffer_minutes") * Value(timedelta(minutes=1)),
        output_field=DateTimeField(),
    )
    return busy.alias(blocked=tstzrange(F("start"), F("blocked_until"))).filter(
        blocked__overlap=tstzrange(Value(slot.start), Value(slot.reach)), start__lt=own_buffer
    )


def _open_during(slot: Slot) -> Q:
    """Spaces without opening hours, or with a window holding the whole local period."""
    any_hours = OpeningHours.objects.filter(space=OuterRef("pk"))
    if not slot.same_day:
        return ~Q(Exists(any_hours))
    fitting = any_hours.filter(
        weekday=_number(slot.weekday),
        opens__lte=_clock(slot.opens_by),
        closes__gte=_clock(slot.closes_after),
    )
    return ~Q(Exists(any_hours)) | Q(Exists(fitting))


def spaces_bookable_by(
    organisations: QuerySet[Organisation] | Iterable[Organisation] | None,
    *,
    spaces: QuerySet[Space] | None = None,
) -> QuerySet[Space]:
    """`spaces` (all by default) that one of `organisations` may request by the hour: bookable,
    in service, in an open building, and open to its kind of organisation. The one rule that
    both the availability search and `booking_request` apply, so the search never lists a space
    whose request would then be refused. `organisations` None: anyone's (visitors who have not
    signed in, who see what they could book once they have).
    """
    spaces = Space.objects.all() if spaces is None else spaces
    bookable = spaces.filter(
        bookable=True, status=SpaceStatus.AVAILABLE, site__status=SiteStatus.OPEN
    )
    if organisations is None:
        return bookable
    return bookable.filter(open_to_kinds_q({organisation.kind for organisation in organisations}))


def spaces_available(
    *, user: AnyUser, period: Period, now: datetime | None = None
) -> QuerySet[Space]:
    """Spaces free for `period` that the user may book and whose rules allow it: one query, no
    recurrence expansion. Visitors who have not signed in, and people without an organisation
    that may book yet, see every space open to bookings (signing in or registering comes next).
    """
    return spaces_free(user=user, slot=Slot.of(period, now or timezone.now()))


def spaces_free(*, user: AnyUser, slot: Slot) -> QuerySet[Space]:
    """`spaces_available` for a slot already described; for a visitor who has not signed in,
    it asks the database nothing while it builds (a compiled query's build: api.bookings)."""
    organisations = list(organisations_allowed_to_book_for(user)) if user.is_authenticated else []
    return spaces_bookable_by(organisations or None, spaces=catalogue_spaces(user)).filter(
        _free_during(slot),
        _open_during(slot),
        min_booking_minutes__lte=_number(slot.minutes),
        max_booking_minutes__gte=_number(slot.minutes),
        min_notice_hours__lte=_number(slot.notice_hours),
        max_advance_days__gte=_number(slot.advance_days),
    )
