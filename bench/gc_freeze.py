"""Do gc.freeze() after fork and full collections between requests shorten the tail of
gunicorn's answers? (docs/benchmarks.md)

Starts gunicorn with gunicorn.conf.py, one variant of its garbage-collection settings after the
other, and loads it with wrk (Debian's `apt-get install wrk`) for the same time each round:
variant A, B, A, B… so that a change in the machine's load hits every variant. The variants:

- `cpython`: neither (CPython's own rule, full collections inside requests);
- `freeze`: gc.freeze() once the worker is ready (GUNICORN_GC_FREEZE);
- `between`: freeze, and full collections after a response rather than during a request
  (GUNICORN_GC_BETWEEN_REQUESTS).

Prints the latency percentiles of each round, and the full (generation 2) garbage collections
the workers ran during the round with their pauses, inside requests and between them
(bench/gc_stats_gunicorn.py records them).

    python -m bench.gc_freeze --prepare            # once: migrate and load the demo territory
    python -m bench.gc_freeze --path /api/v1/spaces/ --variants freeze,between --rounds 2

The database must be PostgreSQL and its name must contain "bench" (default
postgres://postgres@127.0.0.1:5432/locaux_bench_gc).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.server import PERCENTILES, ROOT, WRK, WRK_DONE, free_port, gunicorn, wrk_figures
from bench.server import environment as server_environment

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/locaux_bench_gc"


VARIANTS = {
    "cpython": {"GUNICORN_GC_FREEZE": "false", "GUNICORN_GC_BETWEEN_REQUESTS": "false"},
    "freeze": {"GUNICORN_GC_FREEZE": "true", "GUNICORN_GC_BETWEEN_REQUESTS": "false"},
    "between": {"GUNICORN_GC_FREEZE": "true", "GUNICORN_GC_BETWEEN_REQUESTS": "true"},
}


def environment(url: str, *, variant: str, port: int, workers: int) -> dict[str, str]:
    return {**server_environment(url, port=port, workers=workers), **VARIANTS[variant]}


def run_round(url: str, path: str, *, variant: str, args: argparse.Namespace, script: Path) -> dict:
    port = free_port()
    connections = f"-c{args.connections}"
    stats = Path(tempfile.mkdtemp(prefix="gc-stats-"))
    with gunicorn(
        ["-c", str(ROOT / "bench" / "gc_stats_gunicorn.py")],
        {
            **environment(url, variant=variant, port=port, workers=args.workers),
            "GC_STATS_DIR": str(stats),
        },
        port=port,
        ready_path=path,
    ):
        target = f"http://127.0.0.1:{port}{path}"
        # Warm-up: every worker has loaded its templates, connections and caches.
        subprocess.run(  # noqa: S603
            [WRK, "-t2", connections, "-d5s", target], check=True, capture_output=True
        )
        output = subprocess.run(  # noqa: S603
            [WRK, "-t2", connections, f"-d{args.seconds}s", "-s", str(script), target],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    figures = wrk_figures(output)
    records = [json.loads(stat.read_text()) for stat in stats.glob("*.json")]
    shutil.rmtree(stats)
    return {
        "variant": variant,
        "pauses": [pause for record in records for pause in record["pauses_ms"]],
        "between": [pause for record in records for pause in record["between_ms"]],
        **figures,
    }


def prepare(url: str) -> None:
    env = {
        **environment(url, variant="cpython", port=0, workers=1),
        "DEBUG": "true",
        "DEMO_MODE": "true",
    }
    for command in (["migrate", "-v0"], ["seed_demo"]):
        subprocess.run(  # noqa: S603 (our own command line)
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--path", default="/api/v1/spaces/")
    parser.add_argument("--variants", default="freeze,between", help="comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each variant")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--seconds", type=int, default=20, help="length of one round")
    parser.add_argument("--prepare", action="store_true", help="migrate and seed, then stop")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("DATABASE_URL's database name must contain 'bench'.")
    if args.prepare:
        prepare(url)
        return
    if not Path(WRK).exists():
        sys.exit("wrk is needed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_DONE)
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        sys.exit(f"Unknown variants: {', '.join(sorted(unknown))} (known: {', '.join(VARIANTS)})")
    rounds = [
        run_round(url, args.path, variant=variant, args=args, script=Path(script.name))
        for _ in range(args.rounds)
        for variant in variants
    ]
    os.unlink(script.name)
    load = os.getloadavg()
    sys.stdout.write(
        f"GET {args.path}, gunicorn {args.workers} sync workers, wrk {args.connections} "
        f"connections, {args.seconds} s per round; load average at the end {load[0]:.1f}\n\n"
        "| round | variant | requests | p50 ms | p90 ms | p95 ms | p99 ms | max ms "
        "| full GCs in requests | their pause mean / max ms "
        "| full GCs between requests | their pause mean / max ms |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    for number, figures in enumerate(rounds, start=1):
        cells = [f"{figures[f'p{p}'] / 1000:.1f}" for p in PERCENTILES]
        sys.stdout.write(
            f"| {number} | {figures['variant']} | {figures['requests']} | "
            + " | ".join(cells)
            + f" | {figures['max'] / 1000:.1f} | {len(figures['pauses'])} | "
            + pause_cell(figures["pauses"])
            + f" | {len(figures['between'])} | "
            + pause_cell(figures["between"])
            + " |\n"
        )


def pause_cell(pauses: list[float]) -> str:
    if not pauses:
        return "–"
    return f"{sum(pauses) / len(pauses):.1f} / {max(pauses):.1f}"


if __name__ == "__main__":
    main()
