"""The one writer of Occupancy, the table that guarantees no double booking.

Only this module inserts, frees, trims, lifts or otherwise changes Occupancy rows
(tests/bookings/test_occupancy_writer.py keeps it so); the booking, closure and agreement
services call it inside their own transaction, after locking the spaces concerned. Rows go
away without it only with their booking, closure or agreement (CASCADE).

On PostgreSQL the exclusion constraint `occupancy_no_overlap` (migration 0002) refuses two
active rows of a space whose [start, blocked_until) overlap: the insert then raises
BookingConflict with the clashing periods, never an IntegrityError. On SQLite, transactions
begin IMMEDIATE (config/settings.py), which serialises writers; the services' overlap query
(`bookings.selectors.overlap`) inside the transaction is then the guard.

It also keeps the observatory's summary, OccupancyMonth (booked time per space, structure and
local month), in the same transaction: every active booking row it inserts is added there,
every booking row it frees is subtracted, by an INSERT … ON CONFLICT DO UPDATE that adds to the
stored time (no read-modify-write: two writers at once both count). `occupancy_summary_rebuild`
recomputes the summary from the rows.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet

from accounts.models import User
from bookings.exceptions import BookingConflict
from bookings.models import (
    Allocation,
    Booking,
    Closure,
    Occupancy,
    OccupancyKind,
    OccupancyMonth,
)
from bookings.rules import Period, month_pieces
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import occupancy_clashes
from spaces.models import Space


def _insert(
    rows: list[Occupancy], *, periods: list[Period], buffer: timedelta, checked: bool = False
) -> None:
    """Insert `rows`; a refusal by the database becomes BookingConflict with what it clashed
    with. Must run inside atomic(). `checked`: the caller holds the spaces' lock and found no
    clash in this transaction, so a refusal can only come from a writer that bypassed the lock:
    no savepoint (two statements) is spent to name the clash, the conflict names the periods
    asked and the caller's transaction is left to roll back."""
    if connection.vendor != "postgresql":
        # No exclusion constraint to refuse the rows: BEGIN IMMEDIATE serialised the writers
        # and the caller's overlap query is the guard, so no savepoint is needed to recover.
        Occupancy.objects.bulk_create(rows)
        return
    if checked:
        try:
            Occupancy.objects.bulk_create(rows)
        except IntegrityError as exc:
            raise BookingConflict([(period, period) for period in periods]) from exc
        return
    try:
        with transaction.atomic():  # a savepoint keeps the outer transaction usable
            Occupancy.objects.bulk_create(rows)
    except IntegrityError as exc:  # a writer that did not take the space lock
        clashes = []
        for space in {row.space_id: row.space for row in rows}.values():
            clashes += occupancy_clashes(space=space, periods=periods, buffer=buffer)
        raise BookingConflict(clashes or [(period, period) for period in periods]) from exc


def occupancies_book(
    *, booking: Booking, periods: list[Period], checked: bool = False
) -> list[Occupancy]:
    """Reserve `booking`'s space on each of `periods`, each followed by the space's buffer, and
    return the rows written. Raises BookingConflict if the database refuses (a clash the
    caller's check did not see). `checked`: see `_insert`."""
    space = booking.space
    buffer = timedelta(minutes=space.buffer_minutes)
    rows = [
        Occupancy(
            space=space,
            start=period.start,
            end=period.end,
            blocked_until=period.end + buffer,
            kind=OccupancyKind.BOOKING,
            booking=booking,
        )
        for period in periods
    ]
    _insert(rows, periods=periods, buffer=buffer, checked=checked)
    _summary_add(
        (space.pk, booking.organisation_id, period.start, period.end) for period in periods
    )
    return rows


def occupancies_book_many(*, held: list[tuple[Booking, list[Period]]]) -> int:
    """Reserve the dates of many bookings at once (a season's publication, issue 17): each
    (booking, periods) as `occupancies_book` would, in one INSERT executed for every row (the
    ORM's bulk_create spent most of its time preparing each value: 0.7 ms a row) and one
    addition to the summary. The caller holds the spaces' locks and found no clash in this
    transaction (as `checked` says for `occupancies_book`): on PostgreSQL a refusal by the
    exclusion constraint becomes BookingConflict naming the periods asked, and the caller's
    transaction is left to roll back. Returns the number of rows written."""
    ops = connection.ops
    values = []
    for booking, periods in held:
        buffer = timedelta(minutes=booking.space.buffer_minutes)
        values += [
            (
                booking.space_id,
                ops.adapt_datetimefield_value(period.start),
                ops.adapt_datetimefield_value(period.end),
                ops.adapt_datetimefield_value(period.end + buffer),
                OccupancyKind.BOOKING.value,
                booking.pk,
                True,
            )
            for period in periods
        ]
    table = ops.quote_name(Occupancy._meta.db_table)
    columns = ", ".join(
        ops.quote_name(Occupancy._meta.get_field(name).column)
        for name in ("space", "start", "end", "blocked_until", "kind", "booking", "active")
    )
    # Interpolated: the model's table and column names; every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
    try:
        with connection.cursor() as cursor:
            # One statement parsed once, its rows sent in a batch (psycopg's pipeline, SQLite's
            # executemany); a multi-row VALUES spent its time in the driver's parsing of the
            # long statement.
            cursor.executemany(sql, values)
    except IntegrityError as exc:
        if connection.vendor != "postgresql":
            raise
        raise BookingConflict(
            [(period, period) for _booking, periods in held for period in periods]
        ) from exc
    _summary_add(
        (booking.space_id, booking.organisation_id, period.start, period.end)
        for booking, periods in held
        for period in periods
    )
    return len(values)


def _hold(spaces: list[Space], period: Period, **owner: object) -> None:
    """One row per space over the whole `period`, without buffer (blocked_until is the end)."""
    rows = [
        Occupancy(
            space=space, start=period.start, end=period.end, blocked_until=period.end, **owner
        )
        for space in spaces
    ]
    _insert(rows, periods=[period], buffer=timedelta(0))


def occupancies_close(*, closure: Closure, spaces: list[Space], period: Period) -> None:
    """Close `spaces` over `period` (no buffer after a closure). Raises BookingConflict."""
    _hold(spaces, period, kind=OccupancyKind.CLOSURE, closure=closure)


def occupancies_allocate(*, allocation: Allocation, spaces: list[Space], period: Period) -> None:
    """Reserve `spaces` for the agreement's whole `period`. Agreement rows carry no buffer
    (blocked_until is their end), so a renewal starts the day its predecessor ends.
    Raises BookingConflict."""
    _hold(spaces, period, kind=OccupancyKind.ALLOCATION, allocation=allocation)


def occupancies_free(*, rows: QuerySet[Occupancy] | Iterable[Occupancy], at: datetime) -> int:
    """Free the slots of `rows` (a queryset, or rows already read): they stay, inactive, with
    the time they were freed. Returns the number of rows freed."""
    if not isinstance(rows, QuerySet):
        rows = Occupancy.objects.filter(pk__in=[row.pk for row in rows])
    # Locked as read: a second writer freeing the same rows waits, then finds them inactive,
    # so each row is subtracted from the summary once.
    freed = list(
        rows.filter(active=True)
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "kind", "space_id", "booking__organisation_id", "start", "end")
    )
    if not freed:
        return 0
    Occupancy.objects.filter(pk__in=[row[0] for row in freed]).update(active=False, cancelled_at=at)
    _summary_add(
        (
            (space_id, organisation_id, start, end)
            for _pk, kind, space_id, organisation_id, start, end in freed
            if kind == OccupancyKind.BOOKING
        ),
        sign=-1,
    )
    # Issue 16: structures may be waiting for these slots; once this commits, a job offers
    # them to the first in line (bookings.services.waits).
    from bookings.services.waits import slot_waits_offer_after_commit

    slot_waits_offer_after_commit(space_ids={space_id for _pk, _k, space_id, *_rest in freed})
    return len(freed)


def occupancies_end_allocation(*, allocation: Allocation, at: datetime, now: datetime) -> None:
    """Free the agreement's spaces from `at`: rows starting then or later are freed (at `now`),
    a row running across `at` ends there."""
    rows = allocation.occupancies.filter(active=True)
    rows.filter(start__gte=at).update(active=False, cancelled_at=now)
    rows.filter(start__lt=at, end__gt=at).update(end=at, blocked_until=at)


def occupancies_lift_closures(*, rows: list[Occupancy], period: Period) -> None:
    """Take `period` out of these closure rows, keeping the closed time before and after it."""
    for row in rows:
        before = row.start < period.start
        after = row.end > period.end
        if before:
            Occupancy.objects.filter(pk=row.pk).update(end=period.start, blocked_until=period.start)
        elif after:
            Occupancy.objects.filter(pk=row.pk).update(start=period.end)
        else:
            row.delete()
        if before and after:  # trimmed first: the exclusion constraint sees no overlap
            Occupancy.objects.create(
                space_id=row.space_id,
                start=period.end,
                end=row.end,
                blocked_until=row.blocked_until,
                kind=OccupancyKind.CLOSURE,
                closure_id=row.closure_id,
            )


def occupancy_check_in(*, row: Occupancy, at: datetime, by: User) -> bool:
    """Mark the date `row` checked in at `at` by `by`. False if it already was, or was found a
    no-show meanwhile, or freed: one conditional UPDATE, so a check-in and the no-show job
    (`occupancy_release_no_show`) cannot both win (the second re-reads the row after the
    first commits, on PostgreSQL; SQLite serialises the writers)."""
    return bool(
        Occupancy.objects.filter(
            pk=row.pk, active=True, checked_in_at__isnull=True, no_show_at__isnull=True
        ).update(checked_in_at=at, checked_in_by=by)
    )


def occupancy_release_no_show(*, row_id: int, at: datetime, release: datetime) -> bool:
    """Mark the booked date of id `row_id` a no-show at `at` and release the rest of its slot: the row
    then ends at `release` (its end kept in `booked_end`), without buffer — the room was not
    used —, so the time after it may be booked by others (the exclusion constraint covers
    [start, blocked_until) only) and its equipment is given back (`EquipmentUse` follows its
    row). A date ending by `release` is only marked. The summary loses the released time.

    Claims the row first (`FOR UPDATE SKIP LOCKED`; a no-op on SQLite, whose IMMEDIATE
    transactions serialise writers): False if another run holds it, or it is checked in,
    already marked or freed (the conditions are read under the lock). Must run inside
    atomic()."""
    claimed = list(
        Occupancy.objects.filter(
            pk=row_id,
            kind=OccupancyKind.BOOKING,
            active=True,
            checked_in_at__isnull=True,
            no_show_at__isnull=True,
        )
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("space_id", "booking__organisation_id", "start", "end")
    )
    if not claimed:
        return False
    space_id, organisation_id, start, end = claimed[0]
    if release >= end:
        Occupancy.objects.filter(pk=row_id).update(no_show_at=at)
        return True
    release = max(release, start + timedelta(minutes=1))
    Occupancy.objects.filter(pk=row_id).update(
        no_show_at=at, booked_end=end, end=release, blocked_until=release
    )
    _summary_move(space_id, organisation_id, start, end, release)
    # Structures may be waiting for the freed part: offered once this commits, like every
    # other freeing (occupancies_free), not only by the periodic job.
    from bookings.services.waits import slot_waits_offer_after_commit

    slot_waits_offer_after_commit(space_ids={space_id})
    return True


def occupancy_undo_no_show(
    *, row_id: int, at: datetime, by: User, blocked_until: datetime | None
) -> bool:
    """Clear the no-show mark of the booked date of id `row_id` and record its arrival (at
    `at`, by `by`: the date is not marked again by the job). With `blocked_until`, the row is
    lengthened back to its `booked_end` (then blocked until `blocked_until`) and the summary
    regains the time; the caller found that part free under the space's lock, and on
    PostgreSQL the exclusion constraint has the last word: a refusal keeps the row short (a
    savepoint; the mark is cleared all the same). Returns whether the time was taken back.
    Must run inside atomic(), the row locked by the caller."""
    row = Occupancy.objects.get(pk=row_id)
    cleared = {"no_show_at": None, "checked_in_at": at, "checked_in_by": by}
    if blocked_until is not None and row.booked_end is not None:
        try:
            with transaction.atomic():  # a savepoint: a refusal leaves the transaction usable
                Occupancy.objects.filter(pk=row_id).update(
                    **cleared, end=row.booked_end, blocked_until=blocked_until, booked_end=None
                )
        except IntegrityError:  # a writer that bypassed the space's lock took the time
            pass
        else:
            organisation_id = row.booking.organisation_id
            _summary_move(row.space_id, organisation_id, row.start, row.end, row.booked_end)
            return True
    Occupancy.objects.filter(pk=row_id).update(**cleared)
    return False


def occupancy_claim_reminder(*, row: Occupancy, at: datetime) -> bool:
    """Mark the reminder of `row` as sent at `at`; False if it already was (two runs at once
    cannot both send it)."""
    return bool(
        Occupancy.objects.filter(pk=row.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=at
        )
    )


def occupancies_record_past(
    *, held: list[tuple[Booking, list[tuple[Period, bool]]]], cancelled_at: datetime
) -> list[Occupancy]:
    """Write the dates of bookings that already took place (a seeded history: the booking
    services refuse the past), in one INSERT: each (period, cancelled) of each booking, a
    cancelled date kept inactive as a cancellation leaves it. No clash check: for callers
    that lay out a history whose dates cannot meet (the demo's)."""
    rows = [
        Occupancy(
            space=booking.space,
            booking=booking,
            kind=OccupancyKind.BOOKING,
            start=period.start,
            end=period.end,
            blocked_until=period.end + timedelta(minutes=booking.space.buffer_minutes),
            active=not cancelled,
            cancelled_at=cancelled_at if cancelled else None,
        )
        for booking, periods in held
        for period, cancelled in periods
    ]
    with transaction.atomic():
        written = Occupancy.objects.bulk_create(rows)
        _summary_add(
            (row.space_id, row.booking.organisation_id, row.start, row.end)
            for row in rows
            if row.active
        )
    return written


# --- The observatory's summary (OccupancyMonth) ---

Key = tuple[int, int, date, date]  # space, structure, month of the start, month
SUMMARY_BATCH = 1000  # keys per statement: 5,000 parameters, under SQLite's and psycopg's limits


def _summary_of(dates: Iterable[tuple[int, int, datetime, datetime]], sign: int = 1):
    """Booked time per (space, structure, month of the start, month) of `dates` (space,
    structure, start, end), each cut at the local months' first midnights."""
    zone = local_zone()
    booked: dict[Key, timedelta] = defaultdict(timedelta)
    for space_id, organisation_id, start, end in dates:
        pieces = month_pieces(start, end, zone)
        for month, elapsed in pieces:
            booked[space_id, organisation_id, pieces[0][0], month] += sign * elapsed
    return booked


def _summary_move(
    space_id: int, organisation_id: int, start: datetime, end: datetime, new_end: datetime
) -> None:
    """A date's row of the summary now ends at `new_end` instead of `end`: the old period
    subtracted, the new one added, in one statement."""
    booked = _summary_of([(space_id, organisation_id, start, end)], sign=-1)
    for key, elapsed in _summary_of([(space_id, organisation_id, start, new_end)]).items():
        booked[key] += elapsed
    _summary_write(booked)


def _summary_add(dates: Iterable[tuple[int, int, datetime, datetime]], sign: int = 1) -> None:
    """Add (sign -1: subtract) the time of `dates` to the summary, in one statement whose
    conflicts add to the stored time. Keys in a fixed order: two writers lock them alike."""
    _summary_write(_summary_of(dates, sign))


def _summary_write(booked: dict[Key, timedelta]) -> None:
    """Add each signed time of `booked` to its summary row (see `_summary_add`)."""
    booked = {key: elapsed for key, elapsed in booked.items() if elapsed}
    if not booked:
        return
    table = connection.ops.quote_name(OccupancyMonth._meta.db_table)
    fields = [OccupancyMonth._meta.get_field(name) for name in ("month", "start_month", "booked")]
    month_field, start_month_field, booked_field = fields
    keys = sorted(booked)
    for first in range(0, len(keys), SUMMARY_BATCH):
        batch = keys[first : first + SUMMARY_BATCH]
        params = []
        for space_id, organisation_id, start_month, month in batch:
            params += [
                month_field.get_db_prep_value(month, connection),
                space_id,
                organisation_id,
                start_month_field.get_db_prep_value(start_month, connection),
                booked_field.get_db_prep_value(
                    booked[space_id, organisation_id, start_month, month], connection
                ),
            ]
        # Interpolated: the model's table name; every value is a parameter.
        sql = (
            f"INSERT INTO {table} (month, space_id, organisation_id, start_month, booked)"  # noqa: S608
            f" VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(batch))}"
            " ON CONFLICT (month, space_id, organisation_id, start_month)"
            f" DO UPDATE SET booked = {table}.booked + EXCLUDED.booked"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


@transaction.atomic
def occupancy_summary_rebuild() -> int:
    """Recompute the summary from the active booking rows (idempotent); returns the number of
    summary rows. On PostgreSQL the summary is locked first: a writer's addition waits for the
    rebuild, and the rebuild waits for writers that already added, so none is lost or counted
    twice."""
    table = connection.ops.quote_name(OccupancyMonth._meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    OccupancyMonth.objects.all().delete()
    dates = (
        Occupancy.objects.filter(kind=OccupancyKind.BOOKING, active=True)
        .order_by()
        .values_list("space_id", "booking__organisation_id", "start", "end")
        .iterator(chunk_size=10_000)
    )
    booked = _summary_of(dates)
    OccupancyMonth.objects.bulk_create(
        (
            OccupancyMonth(
                space_id=space_id,
                organisation_id=organisation_id,
                start_month=start_month,
                month=month,
                booked=elapsed,
            )
            for (space_id, organisation_id, start_month, month), elapsed in sorted(booked.items())
        ),
        batch_size=5_000,
    )
    return len(booked)
