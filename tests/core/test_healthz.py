"""/healthz, the kernel's probe for load balancers and monitoring: the database, the Redis of
the cache, the Celery broker and the worker heartbeat, each named when it fails.

Nothing here is timed: the bound of the probe's answer time comes from its timeouts (short,
without retry), which the tests check are the ones used; the silent-Redis test proves the probe
ends with a 503 rather than waiting for the cache's own 2 s timeout or a retry.
"""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import cache
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import health
from core.health import HEALTHZ_REDIS_TIMEOUT, HEARTBEAT_STALE_AFTER
from core.tasks import HEARTBEAT_KEY
from tests.stack import (
    REDIS_DBS,
    celery_client,
    celery_worker,
    redis_client,
    redis_url,
    silent_tcp_server,
)


def test_healthz_reports_ok_with_database(client, db):
    response = client.get(reverse("core:healthz"))

    body = response.json()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert {key: body[key] for key in ("status", "database")} == {"status": "ok", "database": "ok"}


def test_healthz_is_never_cached(client, db):
    response = client.get(reverse("core:healthz"))

    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_needs_no_login(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200


def test_healthz_refuses_post(client, db):
    response = client.post(reverse("core:healthz"))

    assert response.status_code == 405


# --- Redis, the broker and the worker heartbeat (issue 11) --------------------------------------

REDIS_DB = REDIS_DBS["healthz"]
JOIN_BOUND = 30  # seconds: far above the probe's timeouts, so a busy machine still passes


def test_healthz_in_eager_mode_says_so_and_passes(client, db):
    body = client.get("/healthz").json()

    assert {key: body[key] for key in ("status", "cache", "broker", "worker", "failed")} == {
        "status": "ok",
        "cache": "local",
        "broker": "eager",
        "worker": "eager",
        "failed": [],
    }


def _point_at(settings, url: str) -> None:
    """Cache and broker on `url`, as production has them (jobs sent to a worker)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def on_redis(settings):
    """Cache and broker on this module's own Redis database, flushed."""
    with redis_client(REDIS_DB) as client:
        _point_at(settings, redis_url(REDIS_DB))
        yield client
        client.flushdb()


def _beat(age: float) -> None:
    cache.set(HEARTBEAT_KEY, time.time() - age, timeout=None)


def test_healthz_with_redis_and_a_recent_heartbeat_is_ok(client, db, on_redis):
    _beat(age=30)

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert {key: body[key] for key in ("cache", "broker", "worker")} == {
        "cache": "ok",
        "broker": "ok",
        "worker": "ok",
    }
    assert 30 <= body["worker_heartbeat_age_s"] < HEARTBEAT_STALE_AFTER


def test_healthz_with_a_stale_heartbeat_answers_503_naming_the_worker(client, db, on_redis):
    _beat(age=HEARTBEAT_STALE_AFTER + 20)

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert (body["failed"], body["worker"]) == (["worker"], "stale")


def test_healthz_without_any_heartbeat_answers_503_worker_missing(client, db, on_redis):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert (response.json()["failed"], response.json()["worker"]) == (["worker"], "missing")


def test_healthz_only_database_and_cache_ignores_the_late_worker(client, db, on_redis):
    _beat(age=HEARTBEAT_STALE_AFTER + 20)

    response = client.get("/healthz?only=database,cache")

    assert response.status_code == 200
    assert "worker" not in response.json()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_with_redis_down_answers_503_naming_cache_and_broker(
    client, db, settings, closed_port
):
    _point_at(settings, f"redis://127.0.0.1:{closed_port}/0")

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["cache", "broker", "worker"]
    assert (body["cache"], body["cache_error"], body["broker"], body["worker"]) == (
        "unavailable",
        "unreachable",
        "unavailable",
        "unknown",  # not asked: the heartbeat lives in the cache that is down
    )
    assert body["database"] == "ok"


@pytest.fixture
def silent_redis() -> Iterator[int]:
    """A "Redis" that accepts connections and never says a word."""
    with silent_tcp_server() as (_, port):
        yield port


@pytest.mark.django_db(transaction=True)
def test_healthz_with_a_silent_redis_answers_503_after_the_probe_timeout(
    client, settings, silent_redis
):
    _point_at(settings, f"redis://127.0.0.1:{silent_redis}/0")
    outcome: dict = {}

    def probe() -> None:
        try:
            outcome["response"] = client.get("/healthz")
        finally:
            connections.close_all()  # the thread's own database connection

    thread = threading.Thread(target=probe)

    thread.start()
    thread.join(JOIN_BOUND)

    body = outcome["response"].json()
    assert outcome["response"].status_code == 503
    assert (body["cache_error"], body["broker_error"], body["worker"]) == (
        "timeout",
        "timeout",
        "unknown",
    )
    # The bound of the answer's time is made of these (not timed here: see the module's doc):
    # two Redis probes of at most HEALTHZ_REDIS_TIMEOUT each, and no retry.
    assert 2 * HEALTHZ_REDIS_TIMEOUT <= 0.6
    assert health.redis_probe_client(f"redis://127.0.0.1:{silent_redis}/0").get_retry() is None


@pytest.mark.django_db(transaction=True)  # no test transaction: its savepoints are no queries
def test_healthz_costs_select_1_and_one_redis_command_per_check(client, on_redis):
    _beat(age=5)
    client.get("/healthz")  # connections opened once per process, then kept
    marker = f"healthz-test-{time.time_ns()}"

    with (
        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB) as monitor_client,
        redis.Redis(host="127.0.0.1", port=6379, db=0) as marker_client,  # db 0: no SELECT
        CaptureQueriesContext(connection) as queries,
        monitor_client.monitor() as monitor,
    ):
        response = client.get("/healthz")
        marker_client.echo(marker)  # MONITOR lists commands in order: this one comes last
        commands = []
        while marker not in (command := monitor.next_command())["command"]:
            if command["db"] == REDIS_DB:
                commands.append(command["command"].split()[0].upper())

    # The mail outbox's counts, one aggregate query (its WHERE carries the current time).
    statements = [
        "<outbox counts>" if 'FROM "core_outboxmail"' in q["sql"] else q["sql"]
        for q in queries.captured_queries
    ]
    expected = ["SELECT 1", "<outbox counts>"]
    if connection.vendor == "postgresql":
        # The probe's statement timeout is local to a transaction of its own, one per check.
        timeout = "SELECT set_config('statement_timeout', '500', true)"
        expected = [
            *["BEGIN", timeout, "SELECT 1", "COMMIT"],
            *["BEGIN", timeout, "<outbox counts>", "COMMIT"],
        ]
    assert response.status_code == 200
    assert statements == expected
    assert commands == ["PING", "PING", "GET"]  # cache, broker, heartbeat


@pytest.mark.django_db(transaction=True)
def test_healthz_sees_the_heartbeat_a_real_worker_ran(client, on_redis):
    url = redis_url(REDIS_DB)
    sender = celery_client(url)

    with celery_worker(broker_db=REDIS_DB, env={"CACHE_URL": url}):
        sender.send_task("core.tasks.heartbeat")
        for _ in range(300):  # the worker takes it within a second or two
            if cache.get(HEARTBEAT_KEY) is not None:
                break
            time.sleep(0.1)
    sender.close()

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == "ok"
