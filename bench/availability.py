"""Benchmark of the availability search and of series creation, on PostgreSQL.

    python bench/availability.py            # full run: ~200,000 occupancy rows, a few minutes

It creates (and drops at the end) its own database, by default
postgres://postgres@127.0.0.1:5432/locaux_bench (set DATABASE_URL to change it; the name must
contain "bench", so no other database is ever touched), loads 500 spaces and 4,000 weekly series
of 50 dates (200,000 Occupancy rows, each series with its django-scheduler Event), then measures:

1. the database query of `spaces_available` alone, and its EXPLAIN ANALYZE execution time;
2. GET /api/v1/availability/ through gunicorn (2 workers), sequential requests;
3. the naive answer, expanding every series with django-scheduler in Python, asserting that it
   finds the same free spaces;
4. a 52-week series requested through `bookings.services.booking_request`.

It prints a table and writes the figures into docs/benchmarks.md (between the bench markers).
gunicorn is not a project dependency: `.venv/bin/pip install gunicorn` before running (the HTTP
part is skipped, and said so, without it).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import math
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time as clock
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/locaux_bench"
BENCH_SECRET_KEY = "bench-only-secret-key-never-used-in-production-0123456789abcdef"  # noqa: S105
DOC = ROOT / "docs" / "benchmarks.md"
DOC_START = "<!-- bench:start (written by bench/availability.py) -->"
DOC_END = "<!-- bench:end -->"

# Sizes (the issue: 500 spaces, 200,000 occupancy rows).
COMMUNES = 5
SITES_PER_COMMUNE = 10
SPACES_PER_SITE = 10
SERIES_PER_SPACE = 8
DATES_PER_SERIES = 50
STRUCTURES = 100
SEED = 20261127

TARGETS = {
    "db_p95_ms": 2.0,
    "http_p95_ms": 50.0,
    "naive_ratio": 100.0,
    "series_p95_ms": 300.0,
}


def out(*parts: object) -> None:
    sys.stdout.write(" ".join(str(part) for part in parts) + "\n")
    sys.stdout.flush()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-runs", type=int, default=300, help="slots for the database query")
    parser.add_argument("--http-runs", type=int, default=300, help="sequential HTTP requests")
    parser.add_argument("--naive-runs", type=int, default=6, help="slots computed the naive way")
    parser.add_argument("--series-runs", type=int, default=40, help="52-week series requested")
    parser.add_argument("--reuse", action="store_true", help="reuse a loaded bench database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--explain", action="store_true", help="print one EXPLAIN ANALYZE plan")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    return parser.parse_args()


# --- Environment and database -------------------------------------------------------------


def configure_environment() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return url


def database_parts(url: str) -> dict:
    import dj_database_url

    parts = dj_database_url.parse(url)
    if "postgresql" not in parts["ENGINE"]:
        sys.exit(f"DATABASE_URL must point to PostgreSQL, not {parts['ENGINE']}")
    if "bench" not in parts["NAME"]:
        sys.exit(f"Refusing to create or drop {parts['NAME']!r}: its name must contain 'bench'.")
    return parts


def _admin_connection(parts: dict):
    import psycopg

    return psycopg.connect(
        host=parts["HOST"] or None,
        port=parts["PORT"] or None,
        user=parts["USER"] or None,
        password=parts["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def database_exists(parts: dict) -> bool:
    with _admin_connection(parts) as admin:
        row = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [parts["NAME"]]
        ).fetchone()
    return row is not None


def drop_database(parts: dict) -> None:
    from psycopg import sql

    with _admin_connection(parts) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parts["NAME"]))
        )


def create_database(parts: dict) -> None:
    from psycopg import sql

    drop_database(parts)
    with _admin_connection(parts) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parts["NAME"])))


# --- Statistics -----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figures:
    values_ms: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.values_ms)

    def p(self, q: float) -> float:
        return percentile(self.values_ms, q)

    @property
    def p50(self) -> float:
        return self.p(50)

    @property
    def p95(self) -> float:
        return self.p(95)

    @property
    def max(self) -> float:
        return max(self.values_ms)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values_ms)


# --- Data -----------------------------------------------------------------------------------


@dataclass
class Dataset:
    first_monday: date
    sizes: dict
    load_seconds: dict


def _siret(n: int) -> str:
    from stdnum import luhn

    siren = f"8{n:07d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def _opening_hours_pattern(index: int) -> list[int] | None:
    """A third of the spaces have no opening hours, a third are open every day 08:00–22:00,
    a third Monday to Saturday only."""
    if index % 3 == 0:
        return None
    if index % 3 == 1:
        return list(range(7))
    return list(range(6))


def first_data_monday(today: date) -> date:
    start = today + timedelta(days=3)
    return start + timedelta(days=(7 - start.weekday()) % 7)


def load_data() -> Dataset:
    from django.db import connection, transaction
    from django.utils import timezone
    from schedule.models import Calendar, Event, Occurrence, Rule

    from accounts.models import Membership, MembershipRole, Organisation, OrganisationKind, User
    from bookings.models import Booking, BookingStatus, Frequency, Occupancy, OccupancyKind
    from bookings.rules import make_local
    from bookings.selectors import local_zone
    from spaces.models import (
        BufferMinutes,
        Commune,
        EpciMembership,
        OpeningHours,
        PostalCode,
        Site,
        Space,
        SpaceKind,
    )

    rng = random.Random(SEED)  # noqa: S311 (reproducible bench data, not security)
    zone = local_zone()
    now = timezone.now()
    today = timezone.localdate()
    monday = first_data_monday(today)
    seconds: dict[str, float] = {}

    started = clock.perf_counter()
    with transaction.atomic():
        admin = User.objects.create_user("admin@bench.test", is_staff=True)
        epci = Organisation.objects.create(
            kind=OrganisationKind.EPCI, name="Communauté d'agglomération du Banc", siren="200042190"
        )
        Membership.objects.create(user=admin, organisation=epci, role=MembershipRole.ADMIN)
        names = ["Denain", "Bouchain", "Douchy-les-Mines", "Lourches", "Haveluy"]
        communes = []
        for n, name in enumerate(names[:COMMUNES]):
            organisation = Organisation.objects.create(kind=OrganisationKind.COMMUNE, name=name)
            postcode, _created = PostalCode.objects.get_or_create(code=f"59{220 + n:03d}")
            commune = Commune.objects.create(
                insee_code=f"59{170 + n:03d}", name=name, organisation=organisation
            )
            commune.postcodes.add(postcode)
            EpciMembership.objects.create(epci=epci, commune=commune, start=date(2001, 1, 31))
            communes.append((commune, organisation, postcode))
        sites = Site.objects.bulk_create(
            [
                Site(
                    name=f"Maison des associations {commune.name} {n + 1}",
                    owner=organisation,
                    street_number=n + 1,
                    street_name="rue Jean-Jaurès",
                    postcode=postcode.code,
                    commune=commune,
                    latitude=Decimal("50.3289"),
                    longitude=Decimal("3.3956"),
                    step_free_entrance=n % 2 == 0,
                    has_lift=n % 4 == 0,
                )
                for commune, organisation, postcode in communes
                for n in range(SITES_PER_COMMUNE)
            ]
        )
        buffers = list(BufferMinutes.values)
        kinds = [SpaceKind.MEETING_ROOM, SpaceKind.WORKSHOP, SpaceKind.HALL, SpaceKind.OFFICE]
        spaces = Space.objects.bulk_create(
            [
                Space(
                    site=site,
                    name=f"Salle {n + 1}",
                    kind=kinds[n % len(kinds)],
                    floor=n % 3,
                    surface_m2=Decimal(20 + 10 * (n % 8)),
                    capacity=12 + 4 * (n % 10),
                    bookable=True,
                    instant_confirmation=n % 2 == 0,
                    buffer_minutes=buffers[(s * SPACES_PER_SITE + n) % len(buffers)],
                    max_booking_minutes=720,
                    min_notice_hours=24,
                    max_advance_days=365,
                )
                for s, site in enumerate(sites)
                for n in range(SPACES_PER_SITE)
            ]
        )
        hours = []
        for index, space in enumerate(spaces):
            for weekday in _opening_hours_pattern(index) or []:
                hours.append(
                    OpeningHours(space=space, weekday=weekday, opens=time(8), closes=time(22))
                )
        OpeningHours.objects.bulk_create(hours)
        verified = now - timedelta(days=30)
        structures = Organisation.objects.bulk_create(
            [
                Organisation(
                    kind=OrganisationKind.ESS,
                    name=f"Association {n + 1}",
                    ess_family="association",
                    siret=_siret(n + 1),
                    siren=_siret(n + 1)[:9],
                    verified_at=verified,
                    verified_by=admin,
                )
                for n in range(STRUCTURES)
            ]
        )
        members = User.objects.bulk_create(
            [
                User(email=f"membre{n + 1}@bench.test", password="!unusable")  # noqa: S106
                for n in range(STRUCTURES)
            ]
        )
        Membership.objects.bulk_create(
            [
                Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN)
                for user, organisation in zip(members, structures, strict=True)
            ]
        )
        calendars = Calendar.objects.bulk_create(
            [Calendar(name=f"space-{space.pk}", slug=f"space-{space.pk}") for space in spaces]
        )
        weekly, _created = Rule.objects.get_or_create(
            name="weekly", defaults={"frequency": "WEEKLY", "params": "", "description": "weekly"}
        )
    seconds["territory, spaces, structures"] = clock.perf_counter() - started

    # Weekly series: 8 per space, on Monday–Saturday between 08:00 and 22:00, never overlapping
    # on a space (buffer included); Sundays are left free for the series-creation benchmark.
    status_counts: Counter = Counter()
    series_count = occupancy_count = inactive_count = cancelled_dates = 0
    started = clock.perf_counter()
    chunk = 50  # spaces per transaction
    for offset in range(0, len(spaces), chunk):
        plans = []
        for space, calendar in zip(
            spaces[offset : offset + chunk], calendars[offset : offset + chunk], strict=True
        ):
            taken: dict[int, list[tuple[int, int]]] = {weekday: [] for weekday in range(6)}
            made = 0
            while made < SERIES_PER_SPACE:
                weekday = rng.randrange(6)
                minutes = rng.choice([60, 90, 120, 120, 180])
                start_minute = rng.randrange(8 * 60, 22 * 60 - minutes + 1, 30)
                low, high = start_minute, start_minute + minutes + space.buffer_minutes
                if any(low < b_high and b_low < high for b_low, b_high in taken[weekday]):
                    continue
                taken[weekday].append((low, high))
                made += 1
                first_day = monday + timedelta(weeks=rng.randrange(3), days=weekday)
                periods = []
                for k in range(DATES_PER_SERIES):
                    day = first_day + timedelta(weeks=k)
                    start = make_local(
                        datetime.combine(day, time(start_minute // 60, start_minute % 60)), zone
                    )
                    periods.append((start, start + timedelta(minutes=minutes)))
                roll = rng.random()
                status = (
                    BookingStatus.CANCELLED
                    if roll < 0.03
                    else BookingStatus.PENDING
                    if roll < 0.23
                    else BookingStatus.CONFIRMED
                )
                cancelled = (
                    {k for k in range(DATES_PER_SERIES) if rng.random() < 0.01}
                    if status != BookingStatus.CANCELLED
                    else set()
                )
                plans.append((space, calendar, periods, status, cancelled))
        with transaction.atomic():
            events = Event.objects.bulk_create(
                [
                    Event(
                        calendar=calendar,
                        title=f"Activité hebdomadaire {space.name}",
                        start=periods[0][0],
                        end=periods[0][1],
                        rule=weekly,
                        end_recurring_period=periods[-1][1],
                    )
                    for space, calendar, periods, _status, _cancelled in plans
                ]
            )
            bookings = Booking.objects.bulk_create(
                [
                    Booking(
                        space=space,
                        organisation=structures[i % STRUCTURES],
                        requested_by=members[i % STRUCTURES],
                        purpose=f"Activité hebdomadaire {i}",
                        attendees=min(10, space.capacity),
                        status=status,
                        start=periods[0][0],
                        end=periods[0][1],
                        frequency=Frequency.WEEKLY,
                        repeat_count=DATES_PER_SERIES,
                        event=event,
                        lapses_at=now + timedelta(days=10)
                        if status == BookingStatus.PENDING
                        else None,
                    )
                    for i, ((space, _calendar, periods, status, _cancelled), event) in enumerate(
                        zip(plans, events, strict=True), start=series_count
                    )
                ]
            )
            rows = []
            exceptions = []
            for (space, _calendar, periods, status, cancelled), booking, event in zip(
                plans, bookings, events, strict=True
            ):
                status_counts[status] += 1
                buffer = timedelta(minutes=space.buffer_minutes)
                for k, (start, end) in enumerate(periods):
                    active = status != BookingStatus.CANCELLED and k not in cancelled
                    rows.append(
                        Occupancy(
                            space=space,
                            start=start,
                            end=end,
                            blocked_until=end + buffer,
                            kind=OccupancyKind.BOOKING,
                            booking=booking,
                            active=active,
                            cancelled_at=None if active else now,
                        )
                    )
                    if k in cancelled:
                        exceptions.append(
                            Occurrence(
                                event=event,
                                title=event.title,
                                start=start,
                                end=end,
                                original_start=start,
                                original_end=end,
                                cancelled=True,
                            )
                        )
            Occupancy.objects.bulk_create(rows, batch_size=5000)
            Occurrence.objects.bulk_create(exceptions, batch_size=5000)
        series_count += len(plans)
        occupancy_count += len(rows)
        inactive_count += sum(1 for row in rows if not row.active)
        cancelled_dates += len(exceptions)
    seconds["series: events, bookings, occupancy"] = clock.perf_counter() - started

    started = clock.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds["ANALYZE"] = clock.perf_counter() - started

    sizes = {
        "communes": COMMUNES,
        "sites": len(sites),
        "spaces": len(spaces),
        "spaces with opening hours": sum(1 for i in range(len(spaces)) if i % 3),
        "ESS structures (verified)": STRUCTURES,
        "weekly series (Booking + Event)": series_count,
        "series confirmed / pending / cancelled": " / ".join(
            str(status_counts[s])
            for s in (BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CANCELLED)
        ),
        "Occupancy rows": occupancy_count,
        "Occupancy rows active": occupancy_count - inactive_count,
        "single dates cancelled (Occurrence rows)": cancelled_dates,
        "dates": f"{monday} to {monday + timedelta(weeks=DATES_PER_SERIES + 2)}",
    }
    return Dataset(first_monday=monday, sizes=sizes, load_seconds=seconds)


def existing_dataset() -> Dataset:
    from bookings.models import Booking, Occupancy
    from spaces.models import Space

    monday = Occupancy.objects.order_by("start").values_list("start", flat=True).first()
    from bookings.selectors import local_zone

    monday = monday.astimezone(local_zone()).date()
    monday -= timedelta(days=monday.weekday())
    sizes = {
        "spaces": Space.objects.count(),
        "weekly series (Booking + Event)": Booking.objects.count(),
        "Occupancy rows": Occupancy.objects.count(),
        "Occupancy rows active": Occupancy.objects.filter(active=True).count(),
    }
    return Dataset(first_monday=monday, sizes=sizes, load_seconds={})


# --- Slots ----------------------------------------------------------------------------------


def search_slots(monday: date, count: int) -> list:
    """Half are Tuesday 14:00–16:00 on various dates, half vary day, time and length."""
    from bookings.rules import local_period
    from bookings.selectors import local_zone

    rng = random.Random(SEED + 1)  # noqa: S311
    zone = local_zone()
    # The first slots (also computed the naive way) cover winter and summer time, and a Sunday.
    fixed = [
        (2, 1, 14 * 60, 120),
        (20, 1, 14 * 60, 120),
        (40, 1, 14 * 60, 120),
        (9, 3, 18 * 60, 90),
        (30, 6, 10 * 60, 120),
        (45, 5, 9 * 60, 180),
    ]
    slots = []
    for n in range(count):
        if n < len(fixed):
            week, weekday, start, minutes = fixed[n]
        elif n % 2 == 0:
            week, weekday, start, minutes = rng.randrange(1, 46), 1, 14 * 60, 120
        else:
            minutes = rng.choice([60, 90, 120, 180])
            week, weekday = rng.randrange(1, 46), rng.randrange(7)
            start = rng.randrange(8 * 60, 22 * 60 - minutes + 1, 30)
        day = monday + timedelta(weeks=week, days=weekday)
        end = start + minutes
        slots.append(
            local_period(day, time(start // 60, start % 60), time(end // 60, end % 60), zone)
        )
    return slots


# --- Measurements ---------------------------------------------------------------------------


def db_query(period, now):
    from django.contrib.auth.models import AnonymousUser

    from bookings.selectors import spaces_available

    return (
        spaces_available(user=AnonymousUser(), period=period, now=now)
        .prefetch_related(None)
        .values_list("pk", flat=True)
    )


def measure_db(slots: list, now: datetime, warmup: int = 20) -> tuple[dict, dict]:
    """Client-side time of list(values_list('pk')); then, for the same slots, the parts of it:
    Django compiling the SQL, PostgreSQL planning and executing it (EXPLAIN ANALYZE)."""
    for period in slots[:warmup]:
        list(db_query(period, now))
    names = ("wall", "compile", "planning", "execution", "execution_best")
    figures = {name: Figures() for name in names}
    free: dict = {}
    for period in slots:
        qs = db_query(period, now)
        started = clock.perf_counter()
        ids = list(qs)
        figures["wall"].values_ms.append((clock.perf_counter() - started) * 1000)
        free[period] = frozenset(ids)
    for period in slots:
        qs = db_query(period, now)
        started = clock.perf_counter()
        qs.query.get_compiler(qs.db).as_sql()
        figures["compile"].values_ms.append((clock.perf_counter() - started) * 1000)
        runs = [
            json.loads(db_query(period, now).explain(format="json", analyze=True))[0]
            for _ in range(3)
        ]
        figures["planning"].values_ms.append(runs[0]["Planning Time"])
        figures["execution"].values_ms.append(runs[0]["Execution Time"])
        # The best of three per slot: what the query costs when nothing else wants the CPU.
        figures["execution_best"].values_ms.append(min(run["Execution Time"] for run in runs))
    return figures, free


def explain_text(period, now) -> str:
    return db_query(period, now).explain(analyze=True, buffers=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def availability_path(period) -> str:
    from bookings.selectors import local_zone

    zone = local_zone()
    query = urllib.parse.urlencode(
        {
            "start": period.start.astimezone(zone).isoformat(),
            "end": period.end.astimezone(zone).isoformat(),
        }
    )
    return f"/api/v1/availability/?{query}"


def measure_http(slots: list, free: dict, conn_max_age: int, warmup: int = 20) -> Figures | None:
    if importlib.util.find_spec("gunicorn") is None:
        out("  gunicorn is not installed: HTTP part skipped (.venv/bin/pip install gunicorn).")
        return None
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_MANIFEST": "false",
        "CONN_MAX_AGE": str(conn_max_age),
        "LOG_LEVEL": "WARNING",
        # whitenoise warns that STATIC_ROOT was never collected: irrelevant for a JSON API.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (fixed arguments)
    try:
        deadline = clock.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or clock.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                clock.sleep(0.1)
        for period in slots[:warmup]:
            _get(port, availability_path(period))
        figures = Figures()
        for period in slots:
            path = availability_path(period)
            started = clock.perf_counter()
            status, body = _get(port, path)
            figures.values_ms.append((clock.perf_counter() - started) * 1000)
            if status != 200:
                raise AssertionError(f"{path}: HTTP {status} {body[:300]!r}")
            payload = json.loads(body)
            if payload["count"] != len(free[period]):
                raise AssertionError(
                    f"{path}: {payload['count']} spaces over HTTP, {len(free[period])} by query"
                )
            if not {item["id"] for item in payload["results"]} <= free[period]:
                raise AssertionError(f"{path}: HTTP lists a space the query does not")
        return figures
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def naive_free_spaces(period, now: datetime, *, prefetched: bool) -> frozenset:
    """What a search without Occupancy would do: every space's rules in Python, then every
    occupying series expanded by django-scheduler over the slot (local time)."""
    from schedule.models import Event

    from bookings.models import OCCUPYING, Booking
    from bookings.selectors import local_zone
    from spaces.models import SiteStatus, Space, SpaceStatus

    zone = local_zone()
    local_start, local_end = period.start.astimezone(zone), period.end.astimezone(zone)
    minutes = period.elapsed.total_seconds() // 60
    hours_ahead = (period.start - now).total_seconds() / 3600
    eligible = set()
    spaces = (
        Space.objects.select_related("site")
        .prefetch_related("opening_hours")
        .exclude(site__status=SiteStatus.CLOSED)
    )
    for space in spaces:
        if not (
            space.site.is_published
            and space.bookable
            and space.status == SpaceStatus.AVAILABLE
            and space.site.status == SiteStatus.OPEN
            and space.min_booking_minutes <= minutes <= space.max_booking_minutes
            and space.min_notice_hours <= hours_ahead
            and space.max_advance_days >= hours_ahead / 24
        ):
            continue
        windows = list(space.opening_hours.all())
        if windows:
            if local_start.date() != local_end.date():
                continue
            if not any(
                window.weekday == local_start.weekday()
                and window.opens <= local_start.time()
                and window.closes >= local_end.time()
                for window in windows
            ):
                continue
        eligible.add(space.pk)
    owners = {
        event_id: (space_id, timedelta(minutes=buffer))
        for event_id, space_id, buffer in Booking.objects.filter(
            status__in=OCCUPYING, event__isnull=False
        ).values_list("event_id", "space_id", "space__buffer_minutes")
    }
    events = Event.objects.filter(pk__in=list(owners)).select_related("rule")
    if prefetched:
        events = events.prefetch_related("occurrence_set")
    busy = set()
    for event in events:
        space_id, buffer = owners[event.pk]
        window_start, window_end = local_start - buffer, local_end + buffer
        for occurrence in event.get_occurrences(
            window_start, window_end, clear_prefetch=not prefetched
        ):
            if occurrence.cancelled:
                continue
            if occurrence.start < period.end + buffer and period.start < occurrence.end + buffer:
                busy.add(space_id)
    return frozenset(eligible - busy)


def measure_naive(slots: list, free: dict, now: datetime) -> tuple[Figures, Figures]:
    plain, prefetched = Figures(), Figures()
    for period in slots:
        for figures, flag in ((plain, False), (prefetched, True)):
            started = clock.perf_counter()
            answer = naive_free_spaces(period, now, prefetched=flag)
            figures.values_ms.append((clock.perf_counter() - started) * 1000)
            if answer != free[period]:
                raise AssertionError(
                    f"{period}: the naive way finds {len(answer)} free spaces, the query "
                    f"{len(free[period])}; only naive {sorted(answer - free[period])[:10]}, "
                    f"only query {sorted(free[period] - answer)[:10]}"
                )
    return plain, prefetched


def measure_series(runs: int, warmup: int = 3) -> tuple[Figures, int]:
    from django.db.models import Q
    from django.utils import timezone

    from accounts.models import Organisation, OrganisationKind, User
    from bookings.models import Frequency
    from bookings.rules import local_period
    from bookings.selectors import local_zone
    from bookings.services import BookingRequest, booking_request
    from spaces.models import Space

    zone = local_zone()
    organisation = Organisation.objects.filter(
        kind=OrganisationKind.ESS, verified_at__isnull=False
    ).first()
    user = User.objects.filter(memberships__organisation=organisation).first()
    today = timezone.localdate()
    sunday = today + timedelta(days=2)
    sunday += timedelta(days=(6 - sunday.weekday()) % 7)
    first = local_period(sunday, time(10), time(12), zone)
    # A bench clock two days before the first date, so that the 52nd date (357 days later) is
    # within the spaces' 365-day booking horizon.
    now = first.start - timedelta(days=2)
    spaces = list(
        Space.objects.filter(Q(opening_hours__isnull=True) | Q(opening_hours__weekday=6))
        .exclude(occupancies__start=first.start)  # a reused database has earlier runs' series
        .distinct()
        .select_related("site")
        .order_by("pk")[: runs + warmup]
    )
    if len(spaces) < runs + warmup:
        raise RuntimeError("not enough spaces open on Sundays")
    figures = Figures()
    occupancy_rows = 0
    for n, space in enumerate(spaces):
        request = BookingRequest(
            space=space,
            organisation=organisation,
            purpose=f"Atelier du dimanche {n + 1}",
            attendees=8,
            first=first,
            frequency=Frequency.WEEKLY,
            repeat_count=52,
        )
        started = clock.perf_counter()
        booking = booking_request(request=request, requested_by=user, now=now)
        elapsed = (clock.perf_counter() - started) * 1000
        dates = booking.occupancies.filter(active=True).count()
        if dates != 52:
            raise AssertionError(f"series on space {space.pk}: {dates} dates, not 52")
        if n >= warmup:
            figures.values_ms.append(elapsed)
            occupancy_rows += dates
    return figures, occupancy_rows


# --- Report ---------------------------------------------------------------------------------


def machine(load_at_start: tuple[float, float, float]) -> dict:
    from django.db import connection

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    import django

    gunicorn = "not installed"
    if importlib.util.find_spec("gunicorn") is not None:
        import gunicorn as gunicorn_module

        gunicorn = gunicorn_module.__version__
    return {
        "CPUs (nproc)": len(os.sched_getaffinity(0)),
        "CPU model": cpu,
        "RAM": memory,
        "OS": platform.platform(),
        "PostgreSQL": pg_version,
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": gunicorn,
        "load average (1, 5, 15 min) at start": ", ".join(f"{x:.2f}" for x in load_at_start),
        "load average (1, 5, 15 min) at the end": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def verdict(met: bool | None) -> str:
    if met is None:
        return "not measured"
    return "met" if met else "**missed**"


def build_results(db, http, http_fresh, plain, prefetched, series):
    wall = db["wall"]
    # Like with like: both ways timed from Python, the query including Django's own work.
    ratio = plain.p50 / wall.p50 if plain and wall else None
    ratio_prefetched = prefetched.p50 / wall.p50 if prefetched and wall else None
    db_target = f"p95 ≤ {TARGETS['db_p95_ms']:g} ms"
    rows = [
        (
            f"Availability, database: execution time (EXPLAIN ANALYZE, {db['execution'].n} slots)",
            db["execution"],
            db_target,
            db["execution"].p95 <= TARGETS["db_p95_ms"],
        ),
        (
            "… execution time, best of 3 runs per slot (same slots)",
            db["execution_best"],
            "",
            None,
        ),
        ("… PostgreSQL planning time (same slots)", db["planning"], "", None),
        ("… Django compiling the SQL (same slots)", db["compile"], "", None),
        (
            f"Availability, database query seen from Python: list(values_list('pk')) ({wall.n} slots)",
            wall,
            f"{db_target} if counted here",
            wall.p95 <= TARGETS["db_p95_ms"],
        ),
        (
            f"Availability, HTTP GET through gunicorn -w 2, CONN_MAX_AGE=60 ({http.n if http else 0} requests)",
            http,
            f"p95 ≤ {TARGETS['http_p95_ms']:g} ms",
            http.p95 <= TARGETS["http_p95_ms"] if http else None,
        ),
        (
            f"Availability, HTTP, CONN_MAX_AGE=0: a new database connection per request ({http_fresh.n if http_fresh else 0} requests)",
            http_fresh,
            "",
            None,
        ),
        (
            f"Availability, naive: django-scheduler expansion of every series ({plain.n} slots)",
            plain,
            f"ratio ≥ {TARGETS['naive_ratio']:g}×",
            ratio >= TARGETS["naive_ratio"] if ratio else None,
        ),
        (
            f"Availability, naive with persisted occurrences prefetched ({prefetched.n} slots)",
            prefetched,
            "",
            None,
        ),
        (
            f"52-week series through booking_request ({series.n} runs)",
            series,
            f"p95 ≤ {TARGETS['series_p95_ms']:g} ms",
            series.p95 <= TARGETS["series_p95_ms"],
        ),
    ]
    return rows, ratio, ratio_prefetched


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def print_table(rows, ratio, ratio_prefetched) -> None:
    width = max(len(row[0]) for row in rows)
    out()
    out(f"{'measure':<{width}} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}  target")
    for label, figures, target, met in rows:
        if figures is None:
            out(f"{label:<{width}} {'—':>9} {'—':>9} {'—':>9}  {target} {verdict(met)}")
            continue
        out(
            f"{label:<{width}} {fmt(figures.p50):>9} {fmt(figures.p95):>9} {fmt(figures.max):>9}  "
            f"{target} {verdict(met) if met is not None else ''}".rstrip()
        )
    if ratio:
        out(
            f"\nNaive / query (p50): {ratio:,.0f}× "
            f"(with occurrences prefetched: {ratio_prefetched:,.0f}×)"
        )


def markdown(args, dataset, info, rows, ratio, ratio_prefetched, series_rows, total, notes) -> str:
    from django.utils import timezone

    lines = [
        DOC_START,
        "",
        f"Run of {timezone.localtime():%Y-%m-%d %H:%M %Z}, total {total:.0f} s.",
        "",
        "### Machine",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in info.items()],
        "",
        "### Data",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in dataset.sizes.items()],
        "",
    ]
    if dataset.load_seconds:
        lines += [
            "Loading (bulk_create, ANALYZE at the end): "
            + ", ".join(f"{key} {value:.1f} s" for key, value in dataset.load_seconds.items())
            + f"; total {sum(dataset.load_seconds.values()):.1f} s.",
            "",
        ]
    lines += [
        "### Figures",
        "",
        "| Measure | p50 ms | p95 ms | max ms | Target | |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for label, figures, target, met in rows:
        if figures is None:
            lines.append(f"| {label} | — | — | — | {target} | {verdict(met)} |")
        else:
            lines.append(
                f"| {label} | {fmt(figures.p50)} | {fmt(figures.p95)} | {fmt(figures.max)} "
                f"| {target} | {verdict(met) if met is not None else ''} |"
            )
    lines.append("")
    for note in notes:
        lines += [note, ""]
    if ratio:
        lines += [
            f"Naive way / database query, medians: **{ratio:,.0f}×** "
            f"(target ≥ {TARGETS['naive_ratio']:g}×: {verdict(ratio >= TARGETS['naive_ratio'])}); "
            f"with django-scheduler's occurrences prefetched in one query: {ratio_prefetched:,.0f}×. "
            "Both ways found the same free spaces for every slot compared (asserted).",
            "",
        ]
    lines += [
        f"52-week series: {series_rows:,} occupancy rows written in {rows[-1][1].n} runs, "
        "each on another space (Sundays 10:00–12:00, a space already holding ~400 dates).",
        "",
        "Command: `.venv/bin/pip install gunicorn && .venv/bin/python bench/availability.py`",
        f"(options used: --db-runs {args.db_runs} --http-runs {args.http_runs} "
        f"--naive-runs {args.naive_runs} --series-runs {args.series_runs}).",
        "",
        DOC_END,
    ]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    if DOC.exists():
        text = DOC.read_text()
        if DOC_START in text and DOC_END in text:
            before = text.split(DOC_START)[0]
            after = text.split(DOC_END, 1)[1]
            DOC.write_text(before + section + after)
            return
        DOC.write_text(text.rstrip() + "\n\n## Latest run\n\n" + section + "\n")
        return
    DOC.write_text(
        "# Benchmarks\n\nFigures written by `bench/availability.py`.\n\n## Latest run\n\n"
        + section
        + "\n"
    )


# --- Main -----------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    load_at_start = os.getloadavg()
    total_started = clock.perf_counter()
    url = configure_environment()
    parts = database_parts(url)
    reuse = args.reuse and database_exists(parts)
    recreate_seconds = 0.0
    if not reuse:
        out(f"Creating database {parts['NAME']} …")
        started = clock.perf_counter()
        create_database(parts)
        recreate_seconds = clock.perf_counter() - started

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    try:
        if reuse:
            out(f"Reusing database {parts['NAME']}.")
            dataset = existing_dataset()
        else:
            started = clock.perf_counter()
            call_command("migrate", verbosity=0, interactive=False)
            migrate_seconds = clock.perf_counter() - started
            out("Loading data …")
            dataset = load_data()
            dataset.load_seconds = {
                "create database": recreate_seconds,
                "migrate": migrate_seconds,
                **dataset.load_seconds,
            }
            for key, value in dataset.load_seconds.items():
                out(f"  {key}: {value:.1f} s")
            out(f"  total: {sum(dataset.load_seconds.values()):.1f} s")
        for key, value in dataset.sizes.items():
            out(f"  {key}: {value}")

        now = timezone.now()
        slots = search_slots(dataset.first_monday, max(args.db_runs, args.http_runs))
        # Queries are not logged while timing (DEBUG only serves to load the settings here).
        with override_settings(DEBUG=False):
            if args.explain:
                out(explain_text(slots[0], now))
            loads = {"database": os.getloadavg()[0]}
            out(f"Database query, {args.db_runs} slots …")
            db, free = measure_db(slots[: args.db_runs], now)
            free_counts = [len(ids) for ids in free.values()]
            notes = [
                f"Free spaces per slot: min {min(free_counts)}, median "
                f"{statistics.median(free_counts):.0f}, max {max(free_counts)} of "
                f"{dataset.sizes['spaces']}; the API returns them 50 a page (a count query, the "
                "page, amenities and photos)."
            ]
            out(f"  {notes[0]}")
            loads["naive"] = os.getloadavg()[0]
            out(f"Naive way, {args.naive_runs} slots …")
            plain, prefetched = measure_naive(slots[: args.naive_runs], free, now)
            free.update(
                {
                    period: frozenset(db_query(period, now))
                    for period in slots[args.db_runs : args.http_runs]
                }
            )
            connection.close()
            loads["HTTP"] = os.getloadavg()[0]
            out(f"HTTP, {args.http_runs} requests …")
            http = measure_http(slots[: args.http_runs], free, conn_max_age=60)
            out("HTTP, CONN_MAX_AGE=0 …")
            http_fresh = measure_http(slots[: args.http_runs], free, conn_max_age=0)
            loads["series"] = os.getloadavg()[0]
            out(f"52-week series, {args.series_runs} runs …")
            series, series_rows = measure_series(args.series_runs)

        notes.append(
            "Load average (1 min) as each part started, on 2 CPUs (other processes share this "
            "machine): " + ", ".join(f"{part} {load:.2f}" for part, load in loads.items()) + "."
        )
        out(notes[-1])
        info = machine(load_at_start)
        rows, ratio, ratio_prefetched = build_results(
            db, http, http_fresh, plain, prefetched, series
        )
        print_table(rows, ratio, ratio_prefetched)
        total = clock.perf_counter() - total_started
        out(f"\nMachine: {', '.join(f'{key} {value}' for key, value in info.items())}")
        out(f"Total time: {total:.0f} s")
        if not args.no_doc:
            write_doc(
                markdown(
                    args, dataset, info, rows, ratio, ratio_prefetched, series_rows, total, notes
                )
            )
            out(f"Written to {DOC.relative_to(ROOT)}")
    finally:
        connection.close()
        if not args.keep:
            drop_database(parts)
            out(f"Dropped database {parts['NAME']}.")


if __name__ == "__main__":
    main()
