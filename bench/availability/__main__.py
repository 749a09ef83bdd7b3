"""Benchmark of the availability search and of series creation, on PostgreSQL.

    python -m bench.availability            # full run: ~200,000 occupancy rows, a few minutes

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
import os
import statistics
import time as clock

from bench.availability.data import existing_dataset, load_data, search_slots
from bench.availability.environment import (
    ROOT,
    configure_environment,
    create_database,
    database_exists,
    database_parts,
    drop_database,
    out,
)
from bench.availability.measures import (
    db_query,
    explain_text,
    measure_db,
    measure_http,
    measure_naive,
    measure_series,
)
from bench.availability.report import DOC, build_results, machine, markdown, print_table, write_doc


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.availability", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--db-runs", type=int, default=300, help="slots for the database query")
    parser.add_argument("--http-runs", type=int, default=300, help="sequential HTTP requests")
    parser.add_argument("--naive-runs", type=int, default=6, help="slots computed the naive way")
    parser.add_argument("--series-runs", type=int, default=40, help="52-week series requested")
    parser.add_argument("--reuse", action="store_true", help="reuse a loaded bench database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--explain", action="store_true", help="print one EXPLAIN ANALYZE plan")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    return parser.parse_args()


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
