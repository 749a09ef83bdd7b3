"""The load benchmark's data: the project's database (the demo, 500 spaces, 55,000 occupancy
rows, a member with 123 bookings) and the bare baseline's (500 rooms, 55,000 reservations); the
slots that creations take, one per request."""

from __future__ import annotations

import subprocess
import sys
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bench.availability.data import Sizes, first_data_monday, load_data
from bench.server import ROOT

# 500 spaces × 2 weekly series × 55 dates = 55,000 occupancy rows (issue 18).
SIZES = Sizes(series_per_space=2, dates_per_series=55, first_insee=59901, epci_siren="200099996")
LIST_MEMBER = "membre1@bench.test"  # 10 weekly series from load_data(), plus SINGLE_BOOKINGS
CREATE_MEMBER = "membre2@bench.test"
MANAGER = "gestionnaire@demo.test"
BOOKINGS_OF_LIST_MEMBER = 123
CREATE_PURPOSE = "Banc de charge"
BARE_ROOMS = 500
BARE_PER_ROOM = 110
# Creations: one hour on a Sunday (the loaded series leave Sundays free), 3 h 30 apart so that
# the longest buffer (120 min) never joins two of them; the list member's single bookings sit
# at 21:30, after the last one's buffer.
CREATE_HOURS = (time(8), time(11, 30), time(15), time(18, 30))
SINGLE_AT = time(21, 30)
BARE_FIRST_START = datetime(2035, 1, 1, tzinfo=UTC)


@dataclass
class Slots:
    """Every creation slot: `targets` cycle fastest, then `starts` (epoch seconds); a slot's
    index is position in starts × len(targets) + position in targets."""

    targets: list[int]
    starts: list[int]
    seconds: int

    def __len__(self) -> int:
        return len(self.targets) * len(self.starts)

    def slot(self, index: int) -> tuple[int, int]:
        return self.targets[index % len(self.targets)], self.starts[index // len(self.targets)]

    def next_free(self, used: list[tuple[int, datetime]]) -> int:
        """The first index after every slot already taken (a kept database measured again)."""
        if not used:
            return 0
        last = max(int(start.timestamp()) for _target, start in used)
        return (self.starts.index(last) + 1) * len(self.targets)


def run_manage(env: dict[str, str], *command: str) -> None:
    subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
    )


def load_project(env: dict[str, str]) -> dict[str, float]:
    """migrate and seed_demo in a subprocess (the demo needs DEMO_MODE), then the bench data
    in this process (Django is set up on the same database)."""
    seconds = {}
    started = clock.perf_counter()
    run_manage(env, "migrate", "-v0")
    seconds["migrate"] = clock.perf_counter() - started
    started = clock.perf_counter()
    run_manage(env, "seed_demo")
    seconds["seed_demo"] = clock.perf_counter() - started
    import django

    django.setup()
    dataset = load_data(SIZES)
    seconds.update(dataset.load_seconds)
    started = clock.perf_counter()
    add_list_member_bookings()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # the visibility map too: counts read the index only
    seconds["123 bookings, VACUUM ANALYZE"] = clock.perf_counter() - started
    return seconds


def _sundays(count: int) -> list[date]:
    from django.utils import timezone

    first = first_data_monday(timezone.localdate()) + timedelta(days=6)
    return [first + timedelta(weeks=n) for n in range(count)]


def _sunday_spaces():
    """The bench's spaces open on Sundays (every day, or no opening hours)."""
    from django.db.models import Count, Q

    from spaces.models import Space

    return list(
        Space.objects.filter(site__name__startswith="Maison des associations", bookable=True)
        .annotate(
            days=Count("opening_hours"), sundays=Count("opening_hours", Q(opening_hours__weekday=6))
        )
        .filter(Q(days=0) | Q(sundays__gt=0))
        .order_by("pk")
    )


def add_list_member_bookings() -> None:
    """The list member's structure already holds 10 weekly series: add single bookings (with
    their occupancy row) up to 123."""
    from django.db import transaction

    from accounts.models import User
    from bookings.models import Booking, BookingStatus, Occupancy, OccupancyKind
    from bookings.rules import make_local
    from bookings.selectors import local_zone

    member = User.objects.get(email=LIST_MEMBER)
    organisation = member.memberships.get().organisation
    missing = BOOKINGS_OF_LIST_MEMBER - Booking.objects.filter(organisation=organisation).count()
    spaces = _sunday_spaces()
    zone = local_zone()
    plans = []
    for n in range(missing):
        day = _sundays(missing)[n]
        start = make_local(datetime.combine(day, SINGLE_AT), zone)
        plans.append((spaces[n % len(spaces)], start, start + timedelta(minutes=30)))
    with transaction.atomic():
        bookings = Booking.objects.bulk_create(
            [
                Booking(
                    space=space,
                    organisation=organisation,
                    requested_by=member,
                    purpose="Permanence",
                    attendees=5,
                    status=BookingStatus.CONFIRMED,
                    start=start,
                    end=end,
                )
                for space, start, end in plans
            ]
        )
        Occupancy.objects.bulk_create(
            [
                Occupancy(
                    space=space,
                    start=start,
                    end=end,
                    blocked_until=end + timedelta(minutes=space.buffer_minutes),
                    kind=OccupancyKind.BOOKING,
                    booking=booking,
                )
                for (space, start, end), booking in zip(plans, bookings, strict=True)
            ]
        )


def project_slots() -> Slots:
    from bookings.rules import make_local
    from bookings.selectors import local_zone

    zone = local_zone()
    starts = [
        int(make_local(datetime.combine(day, hour), zone).timestamp())
        for day in _sundays(48)
        for hour in CREATE_HOURS
    ]
    return Slots([space.pk for space in _sunday_spaces()], starts, 3600)


def project_slots_used(slots: Slots) -> int:
    from bookings.models import Booking

    used = Booking.objects.filter(purpose=CREATE_PURPOSE).values_list("space_id", "start")
    return slots.next_free(list(used))


def bare_slots() -> Slots:
    first = int(BARE_FIRST_START.timestamp())
    return Slots(list(range(1, BARE_ROOMS + 1)), [first + 3600 * n for n in range(2000)], 3600)


BARE_ROOMS_SQL = """
INSERT INTO rooms_room (name, capacity)
  SELECT 'Salle ' || g, 10 + g %% 40 FROM generate_series(1, %s) g
"""
# Two hours every other day at 08:00–19:00 (by room), from today: never overlapping on a room.
BARE_RESERVATIONS_SQL = """
INSERT INTO rooms_reservation (room_id, title, period, created_at)
  SELECT r.id, 'Réunion ' || k, tstzrange(t, t + interval '2 hours', '[)'), now()
  FROM rooms_room r, generate_series(0, %s) k,
       LATERAL (SELECT date_trunc('day', now()) + k * interval '2 days'
                       + (8 + r.id %% 12) * interval '1 hour' AS t) s
"""


def load_bare(env: dict[str, str], bare_url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0"],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "bench.load.bare.settings",
            "BARE_DATABASE_URL": bare_url,
        },
        check=True,
    )
    import psycopg

    with psycopg.connect(bare_url, autocommit=True) as conn:
        conn.execute(BARE_ROOMS_SQL, [BARE_ROOMS])
        conn.execute(BARE_RESERVATIONS_SQL, [BARE_PER_ROOM - 1])
        conn.execute("VACUUM ANALYZE")


def bare_slots_used(bare_url: str, slots: Slots) -> int:
    import psycopg

    with psycopg.connect(bare_url) as conn:
        rows = conn.execute(
            "SELECT room_id, lower(period) FROM rooms_reservation WHERE title = %s",
            [CREATE_PURPOSE],
        ).fetchall()
    return slots.next_free(rows)
