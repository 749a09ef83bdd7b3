"""The checks behind /healthz: small functions, each answering for one component.

A load balancer or a monitor polls /healthz every few seconds, so each check costs one round
trip (SELECT 1, one Redis PING or GET) and gives up quickly: a Redis that accepts connections
and never answers costs at most HEALTHZ_REDIS_TIMEOUT per check, and the checks that read
Redis are skipped when the cache is already known to be down, so the probe answers in about a
second whatever is down.

A check takes the results of the checks before it (by name) and returns (ok, details); the
details are merged into the JSON answer. Add a check by appending it to CHECKS.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection, transaction

from core.mail import outbox_health
from core.tasks import HEARTBEAT_KEY

HEALTHZ_STATEMENT_TIMEOUT_MS = 500
HEALTHZ_REDIS_TIMEOUT = 0.3  # seconds, to connect and to read: local Redis answers in < 1 ms
# Beat sends the heartbeat every minute; three missed in a row means beat or every worker is
# down (or the queue is so far behind that jobs are late anyway).
HEARTBEAT_STALE_AFTER = 3 * 60  # seconds

CheckResult = tuple[bool, dict[str, object]]
Check = Callable[[dict[str, bool]], CheckResult]

_redis_clients: dict[str, redis.Redis] = {}


def redis_probe_client(url: str) -> redis.Redis:
    """A client of `url` with short timeouts and no retry, kept per process (one connection
    reused from probe to probe, reconnected after a failure).

    No client name or library version is sent on connecting (redis-py sends them by default):
    a probe is one connection and one command.
    """
    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=HEALTHZ_REDIS_TIMEOUT,
            socket_timeout=HEALTHZ_REDIS_TIMEOUT,
            retry=None,
            retry_on_timeout=False,
            driver_info=None,
        )
        _redis_clients[url] = client
    return client


def _redis_ping(url: str) -> CheckResult:
    try:
        redis_probe_client(url).ping()
    except redis.TimeoutError:
        return False, {"error": "timeout"}
    except (redis.RedisError, OSError):
        return False, {"error": "unreachable"}
    return True, {}


@contextmanager
def _probe_transaction() -> Iterator[None]:
    """On PostgreSQL, a transaction whose statements give up after HEALTHZ_STATEMENT_TIMEOUT_MS
    (local to it: a kept connection gets its usual timeout back). On SQLite, none: a
    transaction there would take the write lock (BEGIN IMMEDIATE)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true)", [str(HEALTHZ_STATEMENT_TIMEOUT_MS)]
        )
        yield


def check_database(results: dict[str, bool]) -> CheckResult:
    """SELECT 1 on the default database, with a short statement timeout on PostgreSQL.

    A database that accepts connections and never answers fails within the connect timeout
    (settings.DATABASE_CONNECT_TIMEOUT).
    """
    try:
        with _probe_transaction(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False, {"database": "unavailable"}
    return True, {"database": "ok", "vendor": connection.vendor}


def _cache_url() -> str | None:
    """The Redis URL of the default cache, or None when the cache is in-process memory."""
    if not isinstance(caches["default"], RedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    return location[0] if isinstance(location, list | tuple) else location.split(",")[0]


def check_cache(results: dict[str, bool]) -> CheckResult:
    """PING the Redis of the cache (login lockout, rate limits, the worker heartbeat)."""
    url = _cache_url()
    if url is None:
        return True, {"cache": "local"}
    ok, details = _redis_ping(url)
    return ok, {"cache": "ok" if ok else "unavailable", **_prefixed("cache", details)}


def check_broker(results: dict[str, bool]) -> CheckResult:
    """Connect to the Celery broker and PING it; in eager mode there is none to check."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, {"broker": "eager"}
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme in ("redis", "rediss"):
        ok, details = _redis_ping(url)
    else:
        ok, details = _kombu_connect(url)
    return ok, {"broker": "ok" if ok else "unavailable", **_prefixed("broker", details)}


def _kombu_connect(url: str) -> CheckResult:
    """Any other transport (AMQP…): open a connection, once, with the probe's timeout."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=HEALTHZ_REDIS_TIMEOUT) as broker:
            broker.ensure_connection(max_retries=1, timeout=HEALTHZ_REDIS_TIMEOUT)
    except Exception:  # any transport error means the broker is unusable
        return False, {"error": "unreachable"}
    return True, {}


def check_worker(results: dict[str, bool]) -> CheckResult:
    """How long ago a worker ran the heartbeat beat sends every minute (core.tasks)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, {"worker": "eager"}
    if not results.get("cache", True):
        # The heartbeat is in the cache: unknown, and not worth a second timeout.
        return False, {"worker": "unknown"}
    beat = cache.get(HEARTBEAT_KEY)
    if beat is None:
        return False, {"worker": "missing"}
    age = max(0, round(time.time() - float(beat)))
    if age > HEARTBEAT_STALE_AFTER:
        return False, {"worker": "stale", "worker_heartbeat_age_s": age}
    return True, {"worker": "ok", "worker_heartbeat_age_s": age}


def _prefixed(name: str, details: dict[str, object]) -> dict[str, object]:
    return {f"{name}_{key}": value for key, value in details.items()}


def check_mail(results: dict[str, bool]) -> CheckResult:
    """The mail outbox: failed or long-pending mail is reported, never a failure of the probe
    (the site still serves; the intercommunality retries from the admin)."""
    if results.get("database") is False:
        return True, {"mail": "unknown"}
    try:
        with _probe_transaction():
            return True, {"mail": outbox_health()}
    except DatabaseError:
        return True, {"mail": "unavailable"}


CHECKS: list[tuple[str, Check]] = [
    ("database", check_database),
    ("cache", check_cache),
    ("broker", check_broker),
    ("worker", check_worker),
    ("mail", check_mail),
]


def health_report(names: set[str] | None = None) -> tuple[bool, dict[str, object]]:
    """Run the checks (all, or those in `names`) in order; (all passed, the JSON answer)."""
    results: dict[str, bool] = {}
    body: dict[str, object] = {}
    for name, check in CHECKS:
        if names is not None and name not in names:
            continue
        ok, details = check(results)
        results[name] = ok
        body.update(details)
    failed = [name for name, ok in results.items() if not ok]
    return not failed, {"status": "error" if failed else "ok", "failed": failed, **body}
