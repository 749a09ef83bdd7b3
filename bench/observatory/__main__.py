"""Benchmark of the observatory's territory dashboard, on PostgreSQL.

    python -m bench.observatory             # ~200,000 occupancy rows, a few minutes

It creates (and drops at the end) its own database, by default
postgres://postgres@127.0.0.1:5432/locaux_bench_observatory (set DATABASE_URL to change it; the
name must contain "bench"), loads 500 bookable spaces on 50 sites in 10 communes, with opening
hours, the public holidays of the year closed on every site, 200 structures, and 4,000 weekly
series of 50 dates over the year (200,000 Occupancy rows, in bulk), fills the observatory's
monthly summary from those rows (`occupancy_summary_rebuild`, what the Occupancy writer keeps up
to date one insert at a time; a bulk load bypasses it), then requests in-process (Django's test
client, as the intercommunality's administrator):

1. a trivial page of the same stack (the reports index): the baseline of the same run;
2. the territory dashboard over the loaded year (compared with the year before).

It prints p50/p95 and the queries per request, and writes them into docs/benchmarks.md (between
the bench-observatory markers). Target (issue 15): p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from bench.availability.environment import (
    ROOT,
    configure_environment,
    create_database,
    database_exists,
    database_parts,
    drop_database,
    out,
)
from bench.availability.report import write_doc

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/locaux_bench_observatory"
DOC_START = "<!-- bench-observatory:start (written by bench.observatory) -->"
DOC_END = "<!-- bench-observatory:end -->"
YEAR = 2025
FIRST_MONDAY = date(2025, 1, 6)
SPACES, SITES, COMMUNES, STRUCTURES = 500, 50, 10, 200
SERIES_PER_SPACE, DATES_PER_SERIES = 8, 50
# Eight weekly slots per space, inside the opening hours (Monday–Friday 08:00–22:00).
SLOTS = [(day, hour) for day in range(4) for hour in (9, 18)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.observatory", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=50, help="requests per page")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a run with --keep left, without loading it again (kept)",
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    return parser.parse_args()


def load_data() -> dict:
    """Everything in bulk; returns the sizes loaded and the administrator."""
    from accounts.models import (
        EssFamily,
        Membership,
        MembershipRole,
        Organisation,
        OrganisationKind,
        SiaeKind,
        User,
    )
    from bookings.models import Booking, BookingStatus, Closure, Frequency, Occupancy
    from bookings.models import OccupancyKind as Kind
    from bookings.rules import french_public_holidays, local_period
    from bookings.selectors import local_zone
    from spaces.models import Commune, OpeningHours, Site, Space

    zone = local_zone()
    epci = Organisation.objects.create(kind=OrganisationKind.EPCI, name="CA du banc d'essai")
    admin = User.objects.create_user(email="admin@bench.test", password="bench")  # noqa: S106
    Membership.objects.create(user=admin, organisation=epci, role=MembershipRole.ADMIN)
    communes = []
    for index in range(COMMUNES):
        organisation = Organisation.objects.create(
            kind=OrganisationKind.COMMUNE, name=f"Commune {index}"
        )
        communes.append(
            Commune.objects.create(
                insee_code=f"59{index:03}", name=f"Commune {index}", organisation=organisation
            )
        )
    sites = Site.objects.bulk_create(
        Site(
            name=f"Site {index}",
            owner=communes[index % COMMUNES].organisation,
            commune=communes[index % COMMUNES],
            street_name="rue du Banc",
            postcode="59000",
        )
        for index in range(SITES)
    )
    spaces = Space.objects.bulk_create(
        Space(
            site=sites[index % SITES],
            name=f"Salle {index}",
            kind="meeting_room",
            surface_m2=40,
            capacity=20,
            bookable=True,
        )
        for index in range(SPACES)
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(space=space, weekday=day, opens=time(8), closes=time(22))
        for space in spaces
        for day in range(5)
    )
    holidays = sorted(french_public_holidays(YEAR))
    closures = Closure.objects.bulk_create(
        Closure(site=site, reason="Jour férié", **_day(day, zone))
        for site in sites
        for day in holidays
    )
    by_site = {}
    for closure in closures:
        by_site.setdefault(closure.site_id, []).append(closure)
    Occupancy.objects.bulk_create(
        (
            Occupancy(
                space=space,
                closure=closure,
                kind=Kind.CLOSURE,
                start=closure.start,
                end=closure.end,
                blocked_until=closure.end,
            )
            for space in spaces
            for closure in by_site[space.site_id]
        ),
        batch_size=5000,
    )
    families = [value for value, _label in EssFamily.choices]
    structures = Organisation.objects.bulk_create(
        Organisation(
            kind=OrganisationKind.ESS,
            name=f"Structure {index}",
            ess_family=families[index % len(families)],
            siae_kind=SiaeKind.ACI if index % 7 == 0 else "",
        )
        for index in range(STRUCTURES)
    )
    series = []
    for space_index, space in enumerate(spaces):
        for slot_index, (weekday, hour) in enumerate(SLOTS[:SERIES_PER_SPACE]):
            first = FIRST_MONDAY + timedelta(days=weekday)
            days = [first + timedelta(weeks=week) for week in range(60)]
            days = [day for day in days if day not in holidays][:DATES_PER_SERIES]
            series.append((space, structures[(space_index + slot_index) % STRUCTURES], days, hour))
    bookings = Booking.objects.bulk_create(
        (
            Booking(
                space=space,
                organisation=structure,
                requested_by=admin,
                purpose="Réunion hebdomadaire",
                attendees=10,
                status=BookingStatus.CONFIRMED,
                frequency=Frequency.WEEKLY,
                repeat_until=days[-1],
                **_slot(days[0], hour, zone),
            )
            for space, structure, days, hour in series
        ),
        batch_size=2000,
    )
    rows = (
        Occupancy(
            space=space,
            booking=booking,
            kind=Kind.BOOKING,
            blocked_until=period.end,
            start=period.start,
            end=period.end,
        )
        for booking, (space, _structure, days, hour) in zip(bookings, series, strict=True)
        for day in days
        for period in [local_period(day, time(hour), time(hour + 2), zone)]
    )
    Occupancy.objects.bulk_create(rows, batch_size=10000)
    from django.db import connection

    from bookings.services.occupancy import occupancy_summary_rebuild

    started = clock.perf_counter()
    occupancy_summary_rebuild()  # the bulk load bypassed the writer that keeps the summary
    summarised = clock.perf_counter() - started
    out(f"  summary rebuilt in {summarised:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"admin": admin, "sizes": sizes(), "summary_seconds": summarised}


def sizes() -> dict:
    from bookings.models import Occupancy, OccupancyMonth
    from bookings.models import OccupancyKind as Kind
    from spaces.models import OpeningHours, Site, Space

    return {
        "sites": Site.objects.count(),
        "spaces": Space.objects.count(),
        "occupancy rows (bookings)": Occupancy.objects.filter(kind=Kind.BOOKING).count(),
        "occupancy rows (closures)": Occupancy.objects.filter(kind=Kind.CLOSURE).count(),
        "opening hours": OpeningHours.objects.count(),
        "structures": STRUCTURES,
        "monthly summary rows": OccupancyMonth.objects.count(),
    }


def _day(day: date, zone) -> dict:
    from bookings.rules import local_period

    period = local_period(day, time(0), time(0), zone)
    return {"start": period.start, "end": period.end}


def _slot(day: date, hour: int, zone) -> dict:
    from bookings.rules import local_period

    period = local_period(day, time(hour), time(hour + 2), zone)
    return {"start": period.start, "end": period.end}


def measure(client, url: str, params: dict, runs: int) -> dict:
    from django.db import connection

    for _warm_up in range(3):
        assert client.get(url, params).status_code == 200  # noqa: S101
    queries = []

    def counted(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        client.get(url, params)
    timings, cpu = [], []
    for _run in range(runs):
        started, cpu_started = clock.perf_counter(), clock.process_time()
        response = client.get(url, params)
        timings.append((clock.perf_counter() - started) * 1000)
        cpu.append((clock.process_time() - cpu_started) * 1000)
        assert response.status_code == 200  # noqa: S101
    timings.sort()
    return {
        "cpu": statistics.median(cpu),
        "p50": statistics.median(timings),
        "p95": timings[max(round(0.95 * len(timings)) - 1, 0)],
        "max": timings[-1],
        "queries": len(queries),
    }


def markdown(
    sizes: dict,
    results: dict,
    runs: int,
    load_seconds: float | None,
    loads: list,
    summary_seconds: float | None,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        DOC_START,
        f"Run of {when} on {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, PostgreSQL (`python -m bench.observatory`); load average "
        f"(1 min) at the start and end of the measures: {loads[0]:.2f}, {loads[1]:.2f}.",
        "",
        (
            "Data (the database of an earlier `--keep` run, reused): "
            if load_seconds is None
            else f"Data, loaded in bulk in {load_seconds:.0f} s: "
        )
        + ", ".join(f"{value:,} {key}".replace(",", "\u202f") for key, value in sizes.items())
        + "."
        + (
            ""
            if summary_seconds is None
            else f" The monthly summary was filled from the rows after the bulk load "
            f"(`occupancy_summary_rebuild`) in {summary_seconds:.1f} s."
        ),
        "",
        f"In-process requests (Django's test client, the whole middleware stack and template), "
        f"{runs} per page after 3 warm-up requests, as the intercommunality's administrator:",
        "",
        "| page | p50 (ms) | p95 (ms) | max (ms) | Django CPU p50 (ms) | queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        lines.append(
            f"| {name} | {result['p50']:.1f} | {result['p95']:.1f} | {result['max']:.1f} | "
            f"{result['cpu']:.1f} | {result['queries']} |"
        )
    dashboard = results["territory dashboard, one year"]
    verdict = "meets" if dashboard["p95"] <= 300 else "misses"
    lines += [
        "",
        f"The dashboard {verdict} the target (p95 ≤ 300 ms): p95 {dashboard['p95']:.0f} ms, "
        f"{dashboard['p95'] - results['baseline: reports index']['p95']:.0f} ms above the "
        "baseline page of the same run.",
        DOC_END,
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    url = configure_environment()
    parts = database_parts(url)
    reuse = args.reuse and database_exists(parts)
    if not reuse:
        out(f"Creating database {parts['NAME']} …")
        create_database(parts)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    try:
        call_command("migrate", verbosity=0, interactive=False)
        started = clock.perf_counter()
        if reuse:
            from accounts.models import User

            out(f"Reusing database {parts['NAME']} …")
            data = {"admin": User.objects.get(email="admin@bench.test"), "sizes": sizes()}
        else:
            out("Loading data …")
            data = load_data()
        load_seconds = None if reuse else clock.perf_counter() - started
        for key, value in data["sizes"].items():
            out(f"  {key}: {value}")
        client = Client()
        client.force_login(data["admin"])
        period = {"debut": f"{YEAR}-01-01", "fin": f"{YEAR}-12-31"}
        loads = [os.getloadavg()[0]]
        with override_settings(DEBUG=False):
            results = {
                "baseline: reports index": measure(client, reverse("reports:index"), {}, args.runs),
                "territory dashboard, one year": measure(
                    client, reverse("reports:observatory"), period, args.runs
                ),
            }
        loads.append(os.getloadavg()[0])
        for name, result in results.items():
            out(
                f"{name}: p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
                f"CPU p50 {result['cpu']:.1f} ms, "
                f"{result['queries']} queries"
            )
        if not args.no_doc:
            write_doc(
                markdown(
                    data["sizes"],
                    results,
                    args.runs,
                    load_seconds,
                    loads,
                    data.get("summary_seconds"),
                ),
                start=DOC_START,
                end=DOC_END,
                heading="## Observatory (issue 15)",
            )
            out(f"Written to {(ROOT / 'docs' / 'benchmarks.md').relative_to(ROOT)}")
    finally:
        connection.close()
        if not (args.keep or args.reuse):
            drop_database(parts)
            out(f"Dropped database {parts['NAME']}.")


if __name__ == "__main__":
    main()
