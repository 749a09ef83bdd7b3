"""The measurements: the availability query, the HTTP endpoint through gunicorn, the naive
expansion in Python, the creation of 52-week series."""

from __future__ import annotations

import http.client
import importlib.util
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time as clock
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bench.availability.environment import BENCH_SECRET_KEY, ROOT, out

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
