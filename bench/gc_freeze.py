"""Does gc.freeze() after fork shorten the tail of gunicorn's answers? (docs/benchmarks.md)

Starts gunicorn with gunicorn.conf.py (2 sync workers), alternately with GUNICORN_GC_FREEZE off
and on, and loads it with wrk (Debian's `apt-get install wrk`) for the same time each round:
off, on, off, on… so that a change in the machine's load hits both. Prints the latency
percentiles of each round, and the full (generation 2) garbage collections the workers ran
during the round with their pauses (bench/gc_stats_gunicorn.py records them).

    python -m bench.gc_freeze --prepare            # once: migrate and load the demo territory
    python -m bench.gc_freeze --path /api/v1/spaces/ --rounds 2 --seconds 20

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


def environment(url: str, *, freeze: bool, port: int) -> dict[str, str]:
    return server_environment(url, port=port, workers=2, freeze=freeze)


def run_round(url: str, path: str, *, freeze: bool, seconds: int, script: Path) -> dict:
    port = free_port()
    stats = Path(tempfile.mkdtemp(prefix="gc-stats-"))
    with gunicorn(
        ["-c", str(ROOT / "bench" / "gc_stats_gunicorn.py")],
        {**environment(url, freeze=freeze, port=port), "GC_STATS_DIR": str(stats)},
        port=port,
        ready_path=path,
    ):
        target = f"http://127.0.0.1:{port}{path}"
        # Warm-up: every worker has loaded its templates, connections and caches.
        subprocess.run(  # noqa: S603
            [WRK, "-t2", "-c2", "-d5s", target], check=True, capture_output=True
        )
        output = subprocess.run(  # noqa: S603
            [WRK, "-t2", "-c2", f"-d{seconds}s", "-s", str(script), target],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    figures = wrk_figures(output)
    pauses = [
        pause
        for stat in stats.glob("*.json")
        for pause in json.loads(stat.read_text())["pauses_ms"]
    ]
    shutil.rmtree(stats)
    return {"freeze": freeze, "pauses": pauses, **figures}


def prepare(url: str) -> None:
    env = {**environment(url, freeze=False, port=0), "DEBUG": "true", "DEMO_MODE": "true"}
    for command in (["migrate", "-v0"], ["seed_demo"]):
        subprocess.run(  # noqa: S603 (our own command line)
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--path", default="/api/v1/spaces/")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each variant")
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
    rounds = []
    for _ in range(args.rounds):
        for freeze in (False, True):
            rounds.append(
                run_round(
                    url, args.path, freeze=freeze, seconds=args.seconds, script=Path(script.name)
                )
            )
    os.unlink(script.name)
    load = os.getloadavg()
    sys.stdout.write(
        f"GET {args.path}, gunicorn 2 sync workers, wrk 2 connections, {args.seconds} s per "
        f"round; load average at the end {load[0]:.1f}\n\n"
        "| round | gc.freeze() | requests | p50 ms | p90 ms | p95 ms | p99 ms | max ms "
        "| full GCs | GC pause mean / max ms |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    for number, figures in enumerate(rounds, start=1):
        cells = [f"{figures[f'p{p}'] / 1000:.1f}" for p in PERCENTILES]
        sys.stdout.write(
            f"| {number} | {'on' if figures['freeze'] else 'off'} | {figures['requests']} | "
            + " | ".join(cells)
            + f" | {figures['max'] / 1000:.1f} | {len(figures['pauses'])} | "
            + pause_cell(figures["pauses"])
            + " |\n"
        )


def pause_cell(pauses: list[float]) -> str:
    if not pauses:
        return "–"
    return f"{sum(pauses) / len(pauses):.1f} / {max(pauses):.1f}"


if __name__ == "__main__":
    main()
