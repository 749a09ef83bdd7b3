"""The load benchmark's table: ratios to the bare baseline, targets met or missed, written into
docs/benchmarks.md between its markers with the machine."""

from __future__ import annotations

import platform
import statistics
import subprocess
from dataclasses import dataclass

from bench.availability.report import machine
from bench.load.endpoints import (
    AVAILABILITY,
    BARE_CREATE,
    BARE_LIST,
    CREATE,
    LIST,
    PAGE,
    TARGETS,
    Endpoint,
)
from bench.load.wrk import CONNECTIONS, THREADS, Result
from bench.server import WRK

DOC_START = "<!-- load:start (written by bench.load) -->"
DOC_END = "<!-- load:end -->"
HEADING = "## Load (issue 18)"
MAX_CREATE_QUERIES = 12


@dataclass
class Row:
    endpoint: Endpoint
    result: Result
    phase: str = ""  # "before" / "between" / "after" for the bare baseline
    round: int | None = None  # which of the creation's rounds
    baseline: float | None = None  # the mean rate of the bare runs just before and after
    queries: int | None = None
    ratio: float | None = None
    verdict: str = ""
    score: float = 0.0  # how far from its target: > 1 missed (the profile goes to the worst)

    @property
    def failed(self) -> bool:
        return not self.result.ok(self.endpoint.expected)


def bare_rate(rows: list[Row], kind: str) -> float | None:
    rates = [row.result.rate for row in rows if row.endpoint.kind == kind and not row.failed]
    return statistics.mean(rates) if rates else None


def judge(rows: list[Row]) -> None:
    """Ratios to the bare baseline (mean of before and after), and each target."""
    bare = {LIST: bare_rate(rows, BARE_LIST), CREATE: bare_rate(rows, BARE_CREATE)}
    bare[AVAILABILITY] = bare[LIST]
    for row in rows:
        kind = row.endpoint.kind
        if row.endpoint.bare:
            continue
        if row.failed:
            row.verdict, row.score = "**failed** (statuses)", float("inf")
            continue
        rate, p95 = row.result.rate, row.result.percentiles["p95"]
        baseline = row.baseline or bare.get(kind)
        if baseline:
            row.ratio = rate / baseline
        scores = []
        if kind == LIST:
            scores = [p95 / 50, 0.7 / row.ratio if row.ratio else float("inf")]
        elif kind == AVAILABILITY:
            scores = [p95 / 50]
        elif kind == CREATE:
            scores = [p95 / 60, 0.3 / row.ratio if row.ratio else float("inf")]
            if row.queries is not None:
                scores.append(row.queries / MAX_CREATE_QUERIES)
        elif kind == PAGE:
            scores = [p95 / 100, 50 / rate if rate else float("inf")]
        row.score = max(scores)
        row.verdict = "met" if row.score <= 1 else "**missed**"


def rounds_summary(rows: list[Row]) -> str | None:
    """The median of the creation's rounds, as a sentence, when it ran several."""
    rounds = [row for row in rows if row.round and row.ratio is not None]
    if len(rounds) < 2:
        return None
    middle = sorted(rounds, key=lambda row: row.score)[len(rounds) // 2]
    ratios = ", ".join(f"{row.ratio:.0%}" for row in rounds)
    return (
        f"{middle.endpoint.label}, {len(rounds)} rounds, each between two runs of the bare "
        f"create: ratios {ratios}; the median round ({middle.round}) is "
        f"{'met' if middle.score <= 1 else 'missed'} ({middle.result.rate:.0f} req/s, "
        f"{middle.ratio:.0%}, p95 {middle.result.percentiles['p95']:.1f} ms)."
    )


def cells(row: Row) -> list[str]:
    result = row.result
    statuses = ", ".join(f"{status}×{count}" for status, count in sorted(result.statuses.items()))
    if result.errors:
        statuses += f", socket errors {result.errors}"
    load = f"{statistics.mean(result.load):.1f}" if result.load else "–"
    name = row.endpoint.label + (f" ({row.phase})" if row.phase else "")
    if row.round:
        name += f", round {row.round}"
    rate = "–" if row.failed else f"{result.rate:.0f}"
    return [
        name,
        rate,
        f"{result.percentiles['p50']:.1f}",
        f"{result.percentiles['p95']:.1f}",
        f"{result.percentiles['p99']:.1f}",
        statuses or "none",
        load,
        f"{row.ratio:.0%}" if row.ratio is not None else "",
        "" if row.queries is None else str(row.queries),
        TARGETS.get(row.endpoint.kind, "baseline"),
        row.verdict,
    ]


COLUMNS = [
    "endpoint",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "statuses",
    "load avg",
    "ratio to bare",
    "queries",
    "target",
    "",
]


def table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |",
    ]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def wrk_version() -> str:
    output = subprocess.run(  # noqa: S603 (wrk -v prints its version and exits 1)
        [WRK, "-v"], capture_output=True, text=True, check=False
    ).stdout
    return output.split("[")[0].replace("wrk", "").strip() or "unknown"


def machine_info(load_at_start) -> dict:
    import rest_framework

    info = machine(load_at_start)
    info["Django REST framework"] = rest_framework.VERSION
    info["wrk"] = wrk_version()
    info["OS"] = platform.platform()
    return info


def markdown(
    rows: list[Row], info: dict, *, started: str, total: float, options: str, notes: list[str]
) -> str:
    machine_lines = ["| | |", "| --- | --- |"] + [
        f"| {key} | {value} |" for key, value in info.items()
    ]
    return "\n".join(
        [
            DOC_START,
            "",
            f"Run of {started}, total {total:.0f} s. wrk {THREADS} threads, {CONNECTIONS} "
            f"connections; gunicorn 4 sync workers ({options}). The load average is the mean of "
            "/proc/loadavg (1 min) sampled every second during the measured run, on a machine "
            "shared with other sessions. Ratios: against the mean of the bare baseline's two "
            "runs, right before and right after the endpoints compared with it (the API's lists, "
            "then the creation). Queries: one request in-process "
            "(CaptureQueriesContext); for the creation, the most of ten requests in different "
            "rooms (some confirm at once), with what runs after the commit.",
            "",
            table(rows),
            "",
            *notes,
            "",
            "### Machine",
            "",
            *machine_lines,
            "",
            DOC_END,
        ]
    )
