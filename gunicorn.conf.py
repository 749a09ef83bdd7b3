"""gunicorn's settings: `gunicorn` started from the repository root reads this file by itself.

Every value comes from the environment (or the local .env, as the Django settings read it), so
the systemd unit, `.ci/run` and the tests start the same server with different addresses and
sizes. See docs/deploy.md §11, "App servers, health and logs".
"""

import gc
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # gunicorn loads this file before it puts its chdir on sys.path

from config.env import env_bool, env_int, env_str, load_env_file  # noqa: E402

load_env_file(ROOT / ".env")

wsgi_app = "config.wsgi:application"
bind = env_str("GUNICORN_BIND", "127.0.0.1:8000").split(",")


def default_workers() -> int:
    """2 × cores + 1, capped: each sync worker keeps one PostgreSQL connection (CONN_MAX_AGE), and
    several app servers share the database's max_connections (100 by default)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1) + 1, 8)


workers = env_int("WEB_CONCURRENCY", default_workers())
# Sync workers: one request at a time per process. Every request is short (e-mail, PDFs of large
# documents and payments' follow-ups go to Celery), the ORM is synchronous, and a slow client
# is buffered by the reverse proxy, so threads or an event loop would buy nothing here.
worker_class = "sync"
# Above DATABASE_STATEMENT_TIMEOUT (30 s): a slow statement is cancelled and answered with an
# error page before gunicorn kills the worker (a killed worker answers nothing, and logs nothing).
timeout = env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Sync workers close the connection after each response; keepalive only applies if the worker
# class is changed. The proxy keeps its own connections to the clients.
keepalive = 5
# A worker is replaced after about ten thousand requests, which bounds slow memory growth;
# the jitter keeps the workers from restarting all at once. Not every thousand: a new worker
# loads the application (1–2 s of CPU), and on 2 cores the requests waiting meanwhile made the
# 95th percentile of the busiest lists 3 to 6 times longer (docs/benchmarks.md, "Load").
max_requests = env_int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
# Not preloaded: each worker imports the application itself, so a HUP (the systemd unit's
# reload, after an upgrade) starts workers on the new code without dropping a request. Preloading
# would fork workers in ~0.1 s and share the loaded code's memory, but then only a full restart
# loads new code; a worker's own start (~1–2 s of CPU every ~1000 requests) costs well under 1 %.
preload_app = env_bool("GUNICORN_PRELOAD", default=False)
# The proxy in front sets X-Forwarded-Proto; gunicorn believes it only from these addresses.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The heartbeat file of each worker on a memory file system: a slow disk must not look like a
# stuck worker.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
# gunicorn ≥ 25 opens a control socket at ~/.gunicorn/gunicorn.ctl: two servers on one machine
# (or the tests' two instances) would fight over it. Off unless a path is given.
control_socket_disable = not env_str("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = env_str("GUNICORN_CONTROL_SOCKET")

# No access log: the application writes one JSON line per request (core.logging), with the
# request id and the user, and without the query string (tokens) or the client's address.
accesslog = None
errorlog = "-"
loglevel = env_str("GUNICORN_LOG_LEVEL", "info")
if env_str("LOG_FORMAT", "text" if env_bool("DEBUG") else "json") == "json":
    # gunicorn's own lines (workers started, stopped, killed on timeout) as JSON too.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        # gunicorn merges this over its defaults one key deep: both of its handlers are named.
        "handlers": {
            name: {"class": "logging.StreamHandler", "formatter": "json", "stream": stream}
            for name, stream in (
                ("console", "ext://sys.stdout"),
                ("error_console", "ext://sys.stderr"),
            )
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["error_console"],
                "propagate": False,
                "qualname": "gunicorn.error",
            },
        },
    }

# Garbage collection: objects that live as long as the worker (the loaded code, ~120,000 of
# them) are frozen out of the collector once the worker is ready, so a full collection no longer
# walks them (docs/benchmarks.md, "gunicorn: gc.freeze()"). GUNICORN_GC_FREEZE=false turns it off.
gc_freeze = env_bool("GUNICORN_GC_FREEZE", default=True)
# Full collections between requests, not during one: CPython's automatic full collection (when
# ten young collections have promoted objects to the oldest generation) is turned off in the
# worker, and the same rule is applied after a response has been sent, where its pause delays no
# answer (docs/benchmarks.md, "Full collections between requests"). The young generations are
# still collected automatically, so a request's own garbage never piles up; the full collection
# only looks at what survived them. GUNICORN_GC_BETWEEN_REQUESTS=false restores CPython's rule.
gc_between_requests = env_bool("GUNICORN_GC_BETWEEN_REQUESTS", default=True)
# CPython's own default for the third threshold: collect the oldest generation once ten
# collections of the middle one have promoted objects into it.
GC_FULL_AFTER = 10
GC_NEVER = 1 << 30


def post_worker_init(worker) -> None:
    if gc_freeze:
        gc.freeze()
    if gc_between_requests:
        young, middle, _oldest = gc.get_threshold()
        gc.set_threshold(young, middle, GC_NEVER)


def post_request(worker, req, environ, resp) -> None:
    # gunicorn calls this once the response is written (sync workers close the connection
    # after it): the client has its answer.
    if gc_between_requests and gc.get_count()[2] >= GC_FULL_AFTER:
        gc.collect()
