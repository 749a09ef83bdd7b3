"""Load benchmark (issue 18): the project's endpoints under wrk, against a bare DRF baseline.

    python -m bench.load                 # ~8 minutes: data, 12 runs of 5 + 15 s, the profile
    python -m bench.load --only api-bookings,bare-list --seconds 5 --keep

Creates its two PostgreSQL databases (DATABASE_URL, default locaux_bench_load, and
BARE_DATABASE_URL, default locaux_bench_load_bare; both names must contain "bench"), loads the
demo, 500 spaces and 55,000 occupancy rows into the first and 500 rooms and 55,000 reservations
into the second, then for each endpoint starts gunicorn from the project's gunicorn.conf.py
(4 sync workers, production settings, throttles raised), warms it up and loads it with wrk
(2 threads, 4 connections). The bare baseline runs first and again last. It prints the table,
writes it into docs/benchmarks.md, saves the profile of the endpoint furthest from its target in
docs/profiles/load-<name>.txt, and drops the databases (unless --keep; --reuse measures again).
"""

from __future__ import annotations

import argparse
import os
import sys
import time as clock
from datetime import datetime
from pathlib import Path

from bench.availability.environment import (
    create_database,
    database_exists,
    database_parts,
    drop_database,
    out,
)
from bench.availability.report import write_doc
from bench.server import ROOT, WRK, environment, free_port, gunicorn

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/locaux_bench_load"
DEFAULT_BARE_URL = "postgres://postgres@127.0.0.1:5432/locaux_bench_load_bare"
WORKERS = 4
PROFILES = ROOT / "docs" / "profiles"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--only", help="comma-separated endpoint names (see --list)")
    parser.add_argument("--list", action="store_true", help="print the endpoint names and stop")
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per run")
    parser.add_argument("--profile-runs", type=int, default=200, help="requests profiled")
    parser.add_argument(
        "--profile-seconds", type=int, default=90, help="stop profiling after this long"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="creation runs, each between two bare creates"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse loaded bench databases")
    parser.add_argument("--keep", action="store_true", help="do not drop the databases")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    return parser.parse_args()


def prepare_environment(url: str, bare_url: str) -> tuple[dict, dict, dict]:
    """The servers' environments, and this process's (the same settings, for the test client)."""
    server = {
        **environment(url, port=0, workers=WORKERS),
        "DEMO_MODE": "false",
        # The outbox's jobs are queued in Redis as in production (bench.server.environment) and
        # dropped at the end: no worker runs, so the figures are the requests' own. Mails sent
        # in-process (the query count) must not wait for an SMTP server that is not there.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    bare = {
        **environment(bare_url, port=0, workers=WORKERS),
        "DJANGO_SETTINGS_MODULE": "bench.load.bare.settings",
        "BARE_DATABASE_URL": bare_url,
    }
    manage = {**server, "DEBUG": "true", "DEMO_MODE": "true", "LOG_LEVEL": "WARNING"}
    os.environ.update(
        {
            **{key: value for key, value in server.items() if key != "GUNICORN_BIND"},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
        }
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return server, bare, manage


def drop_queued_jobs(env: dict) -> None:
    """The jobs the servers queued (no worker consumes them during the benchmark)."""
    import redis

    try:
        redis.Redis.from_url(env["CELERY_BROKER_URL"], socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        out(f"Could not empty the bench's job queue: {error}")


def main() -> None:
    args = parse_args()
    load_at_start = os.getloadavg()
    started_at = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    total_started = clock.perf_counter()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    bare_url = os.environ.get("BARE_DATABASE_URL") or DEFAULT_BARE_URL
    parts, bare_parts = database_parts(url), database_parts(bare_url)
    if not Path(WRK).exists():
        sys.exit("wrk is needed: apt-get install -y wrk")
    if args.list:  # without loading anything
        from bench.load.endpoints import NAMES

        out("\n".join(NAMES))
        return
    server_env, bare_env, manage_env = prepare_environment(url, bare_url)
    reuse = args.reuse and database_exists(parts) and database_exists(bare_parts)
    if args.reuse and not reuse:
        out("No databases to reuse: loading them.")
    try:
        if reuse:
            out(f"Reusing {parts['NAME']} and {bare_parts['NAME']}.")
            import django

            django.setup()
        else:
            from bench.load.data import load_bare, load_project

            out(f"Creating {parts['NAME']} and {bare_parts['NAME']} …")
            create_database(parts)
            create_database(bare_parts)
            started = clock.perf_counter()
            for step, seconds in load_project(manage_env).items():
                out(f"  {step}: {seconds:.1f} s")
            load_bare(bare_env, bare_url)
            out(f"  bare baseline: loaded; total {clock.perf_counter() - started:.0f} s")
        run(args, server_env, bare_env, bare_url, load_at_start, started_at, total_started)
    finally:
        from django.db import connections

        connections.close_all()
        drop_queued_jobs(server_env)
        if not args.keep:
            drop_database(parts)
            drop_database(bare_parts)
            out(f"Dropped {parts['NAME']} and {bare_parts['NAME']}.")


def run(args, server_env, bare_env, bare_url, load_at_start, started_at, total_started) -> None:
    from django.db import connections

    from bench.load.data import bare_slots_used, project_slots_used
    from bench.load.endpoints import (
        AVAILABILITY,
        NAMES,
        InProcess,
        bare_endpoints,
        endpoints,
        wrk_request,
    )
    from bench.load.report import (
        DOC_END,
        DOC_START,
        HEADING,
        Row,
        judge,
        machine_info,
        markdown,
        rounds_summary,
        table,
    )
    from bench.load.wrk import measure

    project = endpoints()
    bare_list, bare_create = bare_endpoints()
    names = [bare_list.name, bare_create.name, *(endpoint.name for endpoint in project)]
    assert tuple(names) == NAMES, names  # noqa: S101 (bench.load.endpoints.NAMES is current)
    only = set(args.only.split(",")) if args.only else set(names)
    if unknown := only - set(names):
        sys.exit(f"Unknown endpoint(s): {', '.join(sorted(unknown))}; known: {', '.join(names)}")
    project = [endpoint for endpoint in project if endpoint.name in only]
    bare = [endpoint for endpoint in (bare_list, bare_create) if endpoint.name in only]
    bases = {}
    if bare_create in bare:
        bases[bare_create.name] = bare_slots_used(bare_url, bare_create.slots)
    for endpoint in project:
        if endpoint.slots is not None:
            bases[endpoint.name] = project_slots_used(endpoint.slots)
    for endpoint in [*bare, *project]:
        if endpoint.slots is not None and bases[endpoint.name] > len(endpoint.slots) // 2:
            sys.exit(f"{endpoint.name}: most creation slots are taken; run without --reuse.")
    # Sessions and CSRF tokens are created now, in the database, before any server starts.
    requests = {endpoint.name: wrk_request(endpoint) for endpoint in [*bare, *project]}
    connections.close_all()
    rows: list = []

    def measure_on(
        env: dict, arguments: list[str], chosen, ready: str, phase: str = ""
    ) -> list[Row]:
        port = free_port()
        measured = []
        with gunicorn(
            arguments, {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, port=port, ready_path=ready
        ):
            for endpoint in chosen:
                out(f"{endpoint.label} {phase} …")
                result = measure(
                    f"http://127.0.0.1:{port}{endpoint.path}",
                    requests[endpoint.name],
                    warmup=args.warmup,
                    seconds=args.seconds,
                    base=bases.get(endpoint.name, 0),
                )
                bases[endpoint.name] = result.next_base
                row = Row(endpoint, result, phase=phase)
                measured.append(row)
                out(
                    f"  {result.rate:.0f} req/s, p95 {result.percentiles['p95']:.1f} ms, "
                    f"statuses {result.statuses}" + (" FAILED" if row.failed else "")
                )
        rows.extend(measured)
        return measured

    bare_arguments = ["-c", str(ROOT / "gunicorn.conf.py"), "bench.load.bare.wsgi:application"]
    project_arguments = ["-c", str(ROOT / "gunicorn.conf.py")]

    def compared(baseline, chosen: list, rounds: int = 1) -> None:
        """`chosen` measured between two runs of the baseline they are compared with, `rounds`
        times (baseline, chosen, baseline, chosen, …, baseline): the machine's speed drifts
        during a whole run (the bare create's rate moved by a third between its start and its
        end), much less from one minute to the next. Each of `chosen`'s rows is compared with
        the mean of the two baseline runs around it."""
        with_baseline = baseline in bare

        def measure_baseline(phase: str) -> float | None:
            if not with_baseline:
                return None
            (row,) = measure_on(bare_env, bare_arguments, [baseline], "/reservations/", phase)
            return None if row.failed else row.result.rate

        before = measure_baseline("before")
        for number in range(1, (rounds if chosen else 1) + 1):
            measured = (
                measure_on(server_env, project_arguments, chosen, "/api/v1/spaces/")
                if chosen
                else []
            )
            after = measure_baseline("after" if number == rounds or not chosen else "between")
            for row in measured:
                row.round = number if rounds > 1 else None
                if before and after:
                    row.baseline = (before + after) / 2
            before = after

    api_lists = [e for e in project if e.slots is None and e.path.startswith("/api/")]
    creations = [e for e in project if e.slots is not None]
    compared(bare_list, api_lists)
    compared(bare_create, creations, rounds=max(1, args.rounds))
    compared(None, [e for e in project if e not in api_lists and e not in creations])

    out("Queries per request (in-process) …")
    for row in rows:
        if not row.endpoint.bare:
            measurer = InProcess(row.endpoint, bases.get(row.endpoint.name, 0))
            row.queries, status = measurer.queries()
            bases[row.endpoint.name] = measurer.base
            if status != row.endpoint.expected:
                out(f"  {row.endpoint.name}: in-process status {status}")
    judge(rows)
    notes = [summary] if (summary := rounds_summary(rows)) else []
    for row in rows:
        if row.endpoint.kind == AVAILABILITY and row.phase == "":
            answer = InProcess(row.endpoint).request()
            notes.append(
                f"The availability slot ({row.endpoint.path}) has "
                f"{answer.json()['count']} free spaces."
            )
    measured = [row for row in rows if not row.endpoint.bare and not row.failed]
    worst = max(measured, key=lambda row: row.score, default=None)
    if worst is not None:
        out(f"Profile of {worst.endpoint.name}, {args.profile_runs} requests in-process …")
        PROFILES.mkdir(parents=True, exist_ok=True)
        for previous in PROFILES.glob("load-*.txt"):  # one profile: this run's
            previous.unlink()
        profile = PROFILES / f"load-{worst.endpoint.name}.txt"
        profile.write_text(
            f"{worst.endpoint.label}: {worst.endpoint.path}\n"
            + InProcess(worst.endpoint, bases.get(worst.endpoint.name, 0)).profile(
                args.profile_runs, args.profile_seconds
            )
        )
        notes.append(
            f"Furthest from its target: {worst.endpoint.label}; its profile "
            f"(up to {args.profile_runs} requests or {args.profile_seconds} s in-process, top 40 "
            "by cumulative time): "
            f"[profiles/{profile.name}](profiles/{profile.name})."
        )
    out("\n" + table(rows))
    info = machine_info(load_at_start)
    out("\n" + ", ".join(f"{key} {value}" for key, value in info.items()))
    total = clock.perf_counter() - total_started
    out(f"Total time: {total:.0f} s")
    options = f"{args.warmup} s warm-up then {args.seconds} s measured per endpoint"
    if args.only:
        options += f"; --only {args.only}"
    if not args.no_doc:
        write_doc(
            markdown(rows, info, started=started_at, total=total, options=options, notes=notes),
            start=DOC_START,
            end=DOC_END,
            heading=HEADING,
        )
        out("Written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
