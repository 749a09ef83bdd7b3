"""Real components for the production-stack tests: Redis, a Celery worker as a subprocess.

The tests that need one start it themselves (the worker, the SMTP and S3 servers, gunicorn) or
use the machine's (PostgreSQL and Redis on 127.0.0.1; `.ci/run` starts them). Without one, a
test is skipped with the reason, except under `.ci/run` (REQUIRE_SERVICES=1), where it fails:
CI must never pass by skipping what it is meant to prove.

Each test module takes its own Redis database number (REDIS_DBS below) and flushes only that one.
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection
from kombu import pools as kombu_pools

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ROOT = Path(__file__).resolve().parents[2]

# Redis database numbers, one per test module, so that tests never flush each other's data.
# A run on PostgreSQL and one on SQLite may go on at once on one machine (a developer checking
# both): the SQLite run takes the numbers 5 higher for the modules that start workers, so the
# two runs' workers never take each other's jobs.
_WORKER_DB_OFFSET = 0 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 5
REDIS_DBS = {
    # Modules that start a real worker or servers (2–6 on PostgreSQL, 7–11 on SQLite):
    "jobs": 2 + _WORKER_DB_OFFSET,  # tests/core/test_jobs.py: the beat schedule, a real worker
    "outbox": 3 + _WORKER_DB_OFFSET,  # tests/core/test_outbox.py: mail through the outbox
    "servers": 4 + _WORKER_DB_OFFSET,  # tests/core/test_servers.py: two gunicorn, one Redis
    "healthz": 5 + _WORKER_DB_OFFSET,  # tests/core/test_healthz.py: broker, worker heartbeat
    "pdfjobs": 6 + _WORKER_DB_OFFSET,  # tests/reports/test_documents.py: the annex PDF job
    "throttling": 12 if _WORKER_DB_OFFSET else 13,  # tests/core/test_throttling.py
    "cache-down": 14,  # tests/core/test_cache_down.py
    "webhooks": 15,  # tests/integrations/test_worker.py: deliveries sent by a real worker
}


def service_missing(reason: str) -> None:
    """Skip the test for want of `reason`, or fail under `.ci/run` (REQUIRE_SERVICES=1)."""
    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (.ci/run must provide it)")
    pytest.skip(reason)


@contextmanager
def silent_tcp_server() -> Iterator[tuple[str, int]]:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word (a database or
    a Redis that hangs): yields its (host, port) until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        thread.join(5)
        for sock in accepted:
            sock.close()
        listener.close()


def redis_url(db: int) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


def redis_client(db: int) -> redis.Redis:
    """A client of database `db`, flushed; skips (or fails in CI) if Redis does not answer.
    The caller closes it (`with redis_client(db) as client:`, or `redis_flush`)."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        service_missing(f"no Redis on {REDIS_HOST}:{REDIS_PORT}")
    client.flushdb()
    return client


def redis_flush(db: int) -> None:
    """Empty database `db` (skips, or fails in CI, without Redis), closing the connection.

    Never leave a connection to the garbage collector: a client caught in a reference cycle
    may have its socket finalised first, and the socket's "unclosed" warning fails whichever
    test runs then (pytest's filterwarnings = error)."""
    redis_client(db).close()


@contextmanager
def publishing_to(url: str, *, results: bool = False) -> Iterator[None]:
    """This process publishes its jobs to the broker `url` instead of running them in-process
    (the tests' settings have no broker, so jobs are eager), as an app server does; with
    `results`, it keeps their results there too. The conf is restored after.

    Celery caches its connection and producer pools on first use, and kombu keeps them in a
    registry per broker URL: both are closed and forgotten on the way in and out, so that the
    next job takes the broker now configured and no pooled socket is left to the garbage
    collector."""
    from config.celery import app  # the project's app: the one its shared tasks are bound to

    changes: dict[str, object] = {"broker_url": url, "task_always_eager": False}
    if results:
        changes["result_backend"] = url
    # The app reads these from Django's settings (config_from_object) unless its conf was
    # changed: on the way out the changes are taken back, not overwritten with the values read
    # now, so that a later test's `settings` override reaches the app again.
    saved = {key: app.conf.changes[key] for key in changes if key in app.conf.changes}
    app.conf.update(changes)
    _reset_broker_pools(app)
    try:
        yield
    finally:
        for key in changes:
            app.conf.changes.pop(key, None)
        app.conf.update(saved)
        _reset_broker_pools(app)


def _reset_broker_pools(app: Celery) -> None:
    kombu_pools.reset()  # closes every pooled connection and empties the registry
    app._pool = None
    app.amqp._producer_pool = None


def test_database_url() -> str:
    """The URL of the database the tests run on, for a subprocess (worker, gunicorn).

    Call it inside a test that uses the database (the test database exists then). The
    subprocess sees only committed rows: such tests use `django_db(transaction=True)`.
    """
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess of the project: the tests' settings (pytest-env set them
    in os.environ), the test database, and `extra`. No .env file is read (DEBUG comes from here)."""
    env = {**os.environ, "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1"}
    env.pop("TEST_DATABASE_NAME", None)
    env.update(extra)
    return env


@contextmanager
def celery_worker(
    *,
    broker_db: int,
    env: dict[str, str] | None = None,
    name: str = "w1",
    concurrency: int = 1,
    queue: str | None = None,
) -> Iterator[subprocess.Popen]:
    """A real Celery worker (`celery -A config worker`) on Redis database `broker_db`, against
    the test database, until the block ends. `env` adds settings (e-mail server, …). With
    `queue`, it consumes that queue only (not the default one another worker of the module
    may share), so a test decides which worker runs which job.

    Waits until the worker answers a ping (a few seconds), so tasks sent then are consumed.
    """
    url = redis_url(broker_db)
    worker_env = subprocess_env(
        CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url, CELERY_TASK_ALWAYS_EAGER="false"
    )
    worker_env.update(env or {})
    pool = (
        ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
    )
    # The worker's log goes to a file (a pipe nobody reads would fill up and block it); a worker
    # that fails at start-up shows it in the failure.
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            *pool,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}@%h",
            *([f"--queues={queue}"] if queue else []),
        ],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_worker(url, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _log_tail(log) -> str:
    log.seek(0)
    return log.read()[-4000:]


def celery_client(url: str) -> Celery:
    """A Celery client of the broker (and result store) `url`, as beat or another app server
    would be. Never the current app: shared tasks resolve to the current app, so a client made
    current would take over every job the rest of the session sends (they would be published
    to this broker instead of running in-process)."""
    return Celery(broker=url, backend=url, set_as_current=False)


def _wait_for_worker(url: str, process: subprocess.Popen, log, timeout: float = 60) -> None:
    # Not the current app: else the project's shared tasks, called later in this process, would
    # be bound to it and published to this broker instead of running as configured.
    probe = celery_client(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"The Celery worker stopped at start-up:\n{_log_tail(log)}")
            if probe.control.ping(timeout=0.5):
                return
            time.sleep(0.2)
    finally:
        probe.close()
    pytest.fail(f"The Celery worker did not answer within {timeout:.0f} s:\n{_log_tail(log)}")
