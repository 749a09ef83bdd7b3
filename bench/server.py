"""What the benchmarks that load gunicorn with wrk share: the server's environment (the
project's gunicorn.conf.py with production-like settings), a free port, waiting for the first
answer, and wrk's Lua hook that writes the latency percentiles and the request count."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_SECRET_KEY = "bench-only-secret-key-never-used-in-production-0123456789abcdef"  # noqa: S105
PERCENTILES = (50, 90, 95, 99)
WRK = shutil.which("wrk") or "/usr/bin/wrk"
# wrk's Lua hook: its latency histogram (microseconds) and the number of requests.
WRK_DONE = """
done = function(summary, latency, requests)
  for _, p in ipairs({PERCENTILES}) do
    io.write(string.format("p%d %d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("max %d\\nrequests %d\\n", latency.max, summary.requests))
  io.write(string.format("socket_errors %d\\n", summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
  io.write(string.format("non_2xx %d\\n", summary.errors.status))
end
""".replace("PERCENTILES", ", ".join(str(p) for p in PERCENTILES))
RATE = "1000000/minute"  # measure the view, not the throttle's 429


def environment(url: str, *, port: int, workers: int = 2) -> dict[str, str]:
    """The project's production settings, on loopback, throttles out of the way; the cache and
    the job queue in Redis as in production (the throttles' counters, the outbox's jobs)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_MANIFEST": "false",
        "CONN_MAX_AGE": "60",
        "API_ANON_RATE": RATE,
        "API_USER_RATE": RATE,
        "API_BOOKING_CREATE_RATE": RATE,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
        "PYTHONPATH": str(ROOT),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer 200 on {path}")


@contextmanager
def gunicorn(arguments: list[str], env: dict[str, str], *, port: int, ready_path: str):
    """gunicorn started with `arguments` (e.g. ["-c", "gunicorn.conf.py"]), stopped on exit."""
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "gunicorn", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, ready_path)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def wrk_figures(output: str) -> dict[str, int]:
    """The `name value` lines that the Lua hooks wrote."""
    return {key: int(value) for key, value in re.findall(r"^(\w+) (\d+)$", output, re.M)}
