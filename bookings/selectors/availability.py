"""The availability search: which bookable spaces are free for a period, in one query."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.lookups import Exact
from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_allowed_to_book_for
from bookings.models import Occupancy
from bookings.rules import Period
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import occupancies_overlapping
from spaces.models import BufferMinutes, OpeningHours, SiteStatus, Space, SpaceStatus
from spaces.selectors import catalogue_spaces, open_to_kinds_q


def _free_during(period: Period) -> Q:
    """Spaces with no active occupancy in [start, end + their buffer)."""
    # The rows the longest buffer reaches, then the outer space's own buffer (its column: no
    # join in the subquery).
    widest = timedelta(minutes=max(BufferMinutes.values))
    busy = occupancies_overlapping(spaces=OuterRef("pk"), periods=period, buffer=widest)
    if connection.vendor == "postgresql":
        return ~Q(Exists(_overlapping_on_postgresql(busy, period)))
    # One branch per buffer value (a short fixed list), so each branch compares plain columns.
    own_buffer = Q()
    for minutes in BufferMinutes.values:
        own_buffer |= Q(
            Exact(OuterRef("buffer_minutes"), minutes),
            start__lt=period.end + timedelta(minutes=minutes),
        )
    return ~Q(Exists(busy.filter(own_buffer)))


def _overlapping_on_postgresql(busy: QuerySet[Occupancy], period: Period) -> QuerySet[Occupancy]:
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
    from django.contrib.postgres.fields import DateTimeRangeField

    blocked = Func(
        F("start"),
        F("blocked_until"),
        Value("[)"),
        function="TSTZRANGE",
        output_field=DateTimeRangeField(),
    )
    widest = period.end + timedelta(minutes=max(BufferMinutes.values))
    own_buffer = ExpressionWrapper(
        Value(period.end) + OuterRef("buffer_minutes") * Value(timedelta(minutes=1)),
        output_field=DateTimeField(),
    )
    return busy.alias(blocked=blocked).filter(
        blocked__overlap=(period.start, widest), start__lt=own_buffer
    )


def _open_during(local: Period) -> Q:
    """Spaces without opening hours, or with a window holding the whole local period."""
    any_hours = OpeningHours.objects.filter(space=OuterRef("pk"))
    fitting = any_hours.filter(
        weekday=local.start.weekday(), opens__lte=local.start.time(), closes__gte=local.end.time()
    )
    if local.start.date() != local.end.date():
        return ~Q(Exists(any_hours))
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
    now = now or timezone.now()
    minutes = int(period.elapsed.total_seconds() // 60)
    hours_ahead = (period.start - now).total_seconds() / 3600
    zone = local_zone()
    local = Period(period.start.astimezone(zone), period.end.astimezone(zone))
    organisations = list(organisations_allowed_to_book_for(user)) if user.is_authenticated else []
    return spaces_bookable_by(organisations or None, spaces=catalogue_spaces(user)).filter(
        _free_during(period),
        _open_during(local),
        min_booking_minutes__lte=minutes,
        max_booking_minutes__gte=minutes,
        min_notice_hours__lte=hours_ahead,
        max_advance_days__gte=hours_ahead / 24,
    )
