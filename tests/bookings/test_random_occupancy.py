"""Randomised bookings, series, decisions and cancellations: never two overlapping active rows.

A seeded random.Random makes every run the same (change SEED to explore). The slots cluster
around the clock changes of 28 March and 31 October 2027, and series cross them, so that many
requests clash and DST arithmetic is exercised. On PostgreSQL the exclusion constraint would
turn an overlap into an error; on SQLite the service's own check is the only guard, so the SQL
check after the run is what proves it.
"""

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.models import Booking, BookingStatus, Frequency, Occupancy
from bookings.rules import make_local
from bookings.services import booking_approve, booking_cancel, booking_refuse
from spaces.models import BufferMinutes
from tests.factories import (
    PARIS,
    MembershipFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

SEED = 20270328
# Two windows of three weeks around the clock changes.
WINDOWS = [(date(2027, 3, 15), date(2027, 4, 4)), (date(2027, 10, 18), date(2027, 11, 7))]
SERIES_FREQUENCIES = [
    Frequency.WEEKLY,
    Frequency.BIWEEKLY,
    Frequency.MONTHLY_DATE,
    Frequency.MONTHLY_WEEKDAY,
]

# Pairs of active rows of one space whose [start, blocked_until) ranges intersect.
OVERLAPPING_PAIRS_SQL = """
    SELECT COUNT(*)
    FROM bookings_occupancy AS a
    JOIN bookings_occupancy AS b ON b.space_id = a.space_id AND b.id > a.id
    WHERE a.active AND b.active
      AND a.start < b.blocked_until
      AND b.start < a.blocked_until
"""


def _overlapping_pairs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPPING_PAIRS_SQL)
        return cursor.fetchone()[0]


def _random_slot(rng: random.Random, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    day = first_day + timedelta(days=rng.randint(0, (last_day - first_day).days))
    start = datetime.combine(day, time(7)) + timedelta(minutes=15 * rng.randint(0, 48))
    length = timedelta(minutes=rng.choice([30, 60, 90, 120, 180, 240]))
    return make_local(start, PARIS), make_local(start + length, PARIS)


def _request(rng: random.Random, spaces: list, users: list, series: bool) -> Booking:
    space, user = rng.choice(spaces), rng.choice(users)
    if not series:
        start, end = _random_slot(rng, *rng.choice(WINDOWS))
        return booking_request_for(
            space=space, requested_by=user, start=start, end=end, attendees=rng.randint(1, 20)
        )
    # Series start a few weeks before a change, so that they cross it.
    first_day = rng.choice([date(2027, 3, 1), date(2027, 10, 4)])
    start, end = _random_slot(rng, first_day, first_day + timedelta(days=20))
    frequency = rng.choice(SERIES_FREQUENCIES)
    # Every date stays within the 365 days a space may be booked ahead of the clock.
    if frequency == Frequency.WEEKLY:
        count = rng.randint(3, 10)
    elif frequency == Frequency.BIWEEKLY:
        count = rng.randint(3, 5)
    else:
        count = rng.randint(2, 3) if first_day.month == 3 else 2
    return booking_request_for(
        space=space,
        requested_by=user,
        start=start,
        end=end,
        frequency=frequency,
        repeat_count=count,
        skip_conflicts=rng.random() < 0.5,
    )


def _decide_or_cancel(rng: random.Random, booking: Booking, manager) -> str:
    """Approve, refuse or cancel (a date of) a booking made earlier: frees or keeps slots."""
    roll = rng.random()
    if roll < 0.4:
        booking_approve(booking=booking, actor=manager)
        return "approved"
    if roll < 0.6:
        booking_refuse(booking=booking, actor=manager, reason="Salle réservée ce jour-là")
        return "refused"
    starts = list(booking.occupancies.filter(active=True).values_list("start", flat=True))
    booking_cancel(
        booking=booking,
        actor=manager,
        reason="Annulation",
        occurrence_start=rng.choice(starts) if starts else None,
    )
    return "cancelled"


def test_random_bookings_and_series_leave_no_overlapping_active_occupancy(site, facilities_manager):
    rng = random.Random(SEED)  # noqa: S311 (reproducible test data, not a secret)
    spaces = [
        SpaceFactory(
            site=site,
            buffer_minutes=rng.choice(BufferMinutes.values),
            instant_confirmation=rng.random() < 0.3,
        )
        for _ in range(5)
    ]
    users = [
        MembershipFactory(organisation=VerifiedStructureFactory(), user=UserFactory()).user
        for _ in range(6)
    ]
    requests = [False] * 300 + [True] * 20
    rng.shuffle(requests)
    outcomes: Counter = Counter()
    made: list[Booking] = []

    for series in requests:
        try:
            made.append(_request(rng, spaces, users, series))
            outcomes["booked"] += 1
        except BookingConflict:
            outcomes["conflict"] += 1
        if made and rng.random() < 0.15:
            try:
                outcomes[_decide_or_cancel(rng, rng.choice(made), facilities_manager)] += 1
            except (InvalidTransition, ValidationError):
                outcomes["not possible any more"] += 1

    assert _overlapping_pairs() == 0
    # The run was not trivial: many rows, many clashes, and decisions that freed slots.
    assert outcomes["booked"] >= 150, outcomes
    assert outcomes["conflict"] >= 50, outcomes
    assert Occupancy.objects.filter(active=False).count() >= 10
    assert Booking.objects.filter(frequency__in=SERIES_FREQUENCIES).count() >= 10
    assert Booking.objects.filter(status=BookingStatus.REFUSED).exists()


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL refuses the overlap itself (see test_concurrency.py)",
)
def test_overlapping_pairs_sql_finds_an_overlap(space, requester, other_requester):
    # The check above must be able to fail: make an overlap behind the service's back.
    booking = booking_request_for(
        space=space,
        requested_by=requester,
        start=make_local(datetime(2027, 3, 28, 10), PARIS),  # noqa: DTZ001
        end=make_local(datetime(2027, 3, 28, 12), PARIS),  # noqa: DTZ001
    )
    row = booking.occupancies.get()
    row.active = False
    row.save()
    booking_request_for(space=space, requested_by=other_requester, start=row.start, end=row.end)

    Occupancy.objects.filter(pk=row.pk).update(active=True)

    assert _overlapping_pairs() == 1
