"""The report: the machine, the results against the targets, the table printed and the section
written into docs/benchmarks.md."""

from __future__ import annotations

import importlib.util
import os
import platform
from pathlib import Path

from bench.availability.environment import ROOT, out

DOC = ROOT / "docs" / "benchmarks.md"
DOC_START = "<!-- bench:start (written by bench.availability) -->"
DOC_END = "<!-- bench:end -->"


TARGETS = {
    "db_p95_ms": 2.0,
    "http_p95_ms": 50.0,
    "naive_ratio": 100.0,
    "series_p95_ms": 300.0,
}


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
        "Command: `.venv/bin/pip install gunicorn && .venv/bin/python -m bench.availability`",
        f"(options used: --db-runs {args.db_runs} --http-runs {args.http_runs} "
        f"--naive-runs {args.naive_runs} --series-runs {args.series_runs}).",
        "",
        DOC_END,
    ]
    return "\n".join(lines)


def write_doc(
    section: str, start: str = DOC_START, end: str = DOC_END, heading: str = "## Latest run"
) -> None:
    """Replace what lies between the markers `start` and `end` (both inside `section`), or append
    `section` under `heading` when the page has no such markers yet."""
    if DOC.exists():
        text = DOC.read_text()
        if start in text and end in text:
            before = text.split(start)[0]
            after = text.split(end, 1)[1]
            DOC.write_text(before + section + after)
            return
        DOC.write_text(text.rstrip() + "\n\n" + heading + "\n\n" + section + "\n")
        return
    DOC.write_text(
        "# Benchmarks\n\nFigures written by the scripts of bench/.\n\n"
        + heading
        + "\n\n"
        + section
        + "\n"
    )
