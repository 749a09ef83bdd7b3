"""Which active Occupancy rows overlap a period: the one spelling of the no-double-booking test.

A row blocks [start, blocked_until): its time of use plus the buffer of its space, exactly what
the PostgreSQL exclusion constraint compares (migration 0002). A period asked for on a space
with a buffer blocks [start, end + buffer), so it also overlaps a row that starts within the
buffer after it. Every check before a write (booking requests, closures, agreements), the
availability search and the writer's report of a refused insert go through
`occupancies_overlapping`; calendars, which show the time of use without the buffers, ask it
with `buffers=False`.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.expressions import Combinable

from bookings.models import Allocation, Booking, Occupancy
from bookings.rules import Period
from core.compiled import CompiledQuery
from spaces.models import Space

NO_BUFFER = timedelta(0)

Spaces = Space | Combinable | QuerySet | Iterable[Space]


def occupancy_overlap_q(
    period: Period, *, buffer: timedelta = NO_BUFFER, buffers: bool = True
) -> Q:
    """Rows whose time meets [period.start, period.end + buffer); active or not (the callers
    add `active=True`, once, so that an index on active rows applies).

    `buffer` is the buffer of the space asked for; `buffers` False compares the rows' end
    instead of their blocked_until (what a calendar shows).
    """
    if buffers:
        return Q(start__lt=period.end + buffer, blocked_until__gt=period.start)
    return Q(start__lt=period.end + buffer, end__gt=period.start)


def occupancies_overlapping(
    *,
    spaces: Spaces,
    periods: Period | list[Period],
    buffer: timedelta = NO_BUFFER,
    buffers: bool = True,
    exclude_booking: Booking | None = None,
    exclude_allocation: Allocation | None = None,
) -> QuerySet[Occupancy]:
    """Active rows of `spaces` that any of `periods` (each plus `buffer`) would overlap.

    `spaces` is a space, spaces (a list or a queryset, of spaces or of their ids) or an
    expression (`OuterRef("pk")` in a subquery). `exclude_booking` / `exclude_allocation` leave
    out the caller's own rows. Unordered; one query when evaluated.
    """
    if isinstance(periods, Period):
        periods = [periods]
    if not periods:
        return Occupancy.objects.none()
    meets = reduce(
        or_, (occupancy_overlap_q(period, buffer=buffer, buffers=buffers) for period in periods)
    )
    if len(periods) > 1:
        # The envelope of the periods: a range on (space, start) for the index, the exact
        # test above row by row.
        envelope = Period(min(p.start for p in periods), max(p.end for p in periods))
        meets &= occupancy_overlap_q(envelope, buffer=buffer, buffers=buffers)
    if isinstance(spaces, Space | Combinable):
        rows = Occupancy.objects.filter(meets, space=spaces, active=True)
    else:
        rows = Occupancy.objects.filter(meets, space__in=spaces, active=True)
    if exclude_booking is not None:
        rows = rows.exclude(booking=exclude_booking)
    if exclude_allocation is not None:
        rows = rows.exclude(allocation=exclude_allocation)
    return rows


def tstzrange(start: object, end: object) -> Func:
    """PostgreSQL's `tstzrange(start, end, '[)')`: with `F("start"), F("blocked_until")`, the
    range the no-overlap constraint's GiST index holds (migration 0002, active rows)."""
    from django.contrib.postgres.fields import DateTimeRangeField

    return Func(start, end, Value("[)"), function="TSTZRANGE", output_field=DateTimeRangeField())


def _clash_rows(
    *, space: Space, periods: list[Period], buffer: timedelta = NO_BUFFER
) -> QuerySet[Occupancy]:
    rows = occupancies_overlapping(spaces=space, periods=periods, buffer=buffer)
    if connection.vendor == "postgresql":
        # The same rows, also tested as ranges, which PostgreSQL estimates from the statistics
        # of the GiST index's expression: it then expects the one or two rows it finds and
        # reads their bookings by key. From the two comparisons alone it expected dozens and
        # hashed the whole bookings table for them (0.9 ms of the database's CPU per request,
        # 0.4 with the range; docs/benchmarks.md, issue 18).
        reach = Period(min(p.start for p in periods), max(p.end for p in periods) + buffer)
        rows = rows.alias(blocked=tstzrange(F("start"), F("blocked_until"))).filter(
            blocked__overlap=tstzrange(Value(reach.start), Value(reach.end))
        )
    return rows.select_related("closure", "booking").order_by("start")


# One date asked for (its end plus the buffer: `until`), compiled once per process
# (docs/decisions.md, issue 18).
_CLASH_ROWS_OF_ONE = CompiledQuery(
    lambda space, start, until: _clash_rows(space=Space(pk=space), periods=[Period(start, until)]),
    space=int,
    start=datetime,
    until=datetime,
)


def occupancy_clash_rows(
    *, space: Space, periods: list[Period], buffer: timedelta = NO_BUFFER
) -> list[tuple[Period, Occupancy]]:
    """Each period of `periods` that overlaps an active row of `space`, with that row (its
    closure and booking read with it, to name it or see that it lapsed): (asked, row) pairs.
    One query."""
    clashes = []
    if len(periods) == 1:  # a single date, most requests: the query compiled once
        rows = _CLASH_ROWS_OF_ONE.run(
            space=space.pk, start=periods[0].start, until=periods[0].end + buffer
        )
    else:
        rows = _clash_rows(space=space, periods=periods, buffer=buffer)
    for row in rows:
        blocked = Period(row.start, row.blocked_until)
        for period in periods:
            if Period(period.start, period.end + buffer).overlaps(blocked):
                clashes.append((period, row))
    return clashes


def occupancy_clashes(
    *, space: Space, periods: list[Period], buffer: timedelta = NO_BUFFER
) -> list[tuple[Period, Period]]:
    """Each period of `periods` that overlaps an active row of `space`, with the row's time of
    use: (asked, occupied) pairs, what a BookingConflict carries. One query."""
    return [
        (period, Period(row.start, row.end))
        for period, row in occupancy_clash_rows(space=space, periods=periods, buffer=buffer)
    ]
