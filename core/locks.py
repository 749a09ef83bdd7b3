"""A lock shared by every process through the cache, for jobs that must not run twice at once.

Most periodic jobs need none: their service claims each row under a row lock or a conditional
UPDATE, so a second run finds nothing left to do (docs/architecture.md, "Jobs"). The lock is
for the jobs that call Stripe before they write: two runs at once would both call it for the
same payment. With Redis as the cache (REDIS_URL), it is redis-py's Lock (SET NX with a token;
released by a script that deletes the key only if it still holds the token), shared by every
worker; otherwise the cache is the process's own memory, where `cache.add` is enough (the
SQLite demo runs its jobs in-process, eagerly).

The lock expires after `timeout` seconds, so a worker killed while holding it blocks the job
for that long at most: give a timeout longer than the job's hard time limit.
"""

import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import LockError

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

PREFIX = "lock:"
# What a task guarded by `job_single_run` returns when another run holds its lock.
SKIPPED = {"skipped": "already running"}


def lock_key(name: str) -> str:
    """The cache key of lock `name`, with the cache's KEY_PREFIX and version, so that two
    deployments sharing a Redis database do not share their locks."""
    return caches["default"].make_key(PREFIX + name)


@contextmanager
def cache_lock(name: str, *, timeout: int) -> Iterator[bool]:
    """Hold the lock `name` for the block, if nobody holds it; yields whether it was taken.

    Never waits: a job that finds the lock taken has nothing to do, the other run does it.
    A Redis that does not answer raises (redis.ConnectionError): a job must not run unguarded.
    """
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        key = lock_key(name)
        # The raw client of Django's Redis backend (its connection pool): ResilientRedisCache
        # would answer "added" while Redis is down.
        client = cache._cache.get_client(key, write=True)
        lock = client.lock(key, timeout=timeout, blocking=False)
        taken = lock.acquire()
        try:
            yield taken
        finally:
            if taken:
                try:
                    lock.release()
                except LockError:  # expired meanwhile (the job outlived `timeout`)
                    logger.warning("Lock %s had expired before the job ended", key)
        return
    key = PREFIX + name  # the cache's own methods add its prefix
    token = uuid.uuid4().hex
    taken = cache.add(key, token, timeout)
    try:
        yield taken
    finally:
        # Only the holder deletes it (one process: the get and the delete cannot interleave
        # with another holder's add in a way that matters for a per-process cache).
        if taken and cache.get(key) == token:
            cache.delete(key)


def job_single_run(*, timeout: int) -> Callable[[Callable[P, R]], Callable[P, R | dict]]:
    """Run the decorated job only if no other run of it holds its lock (named after the
    function); otherwise return SKIPPED at once. Put it under `@shared_task`."""

    def decorate(function: Callable[P, R]) -> Callable[P, R | dict]:
        name = f"job:{function.__module__}.{function.__name__}"

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | dict[str, Any]:
            with cache_lock(name, timeout=timeout) as taken:
                if not taken:
                    logger.info("Job skipped, another run holds its lock: %s", name)
                    return SKIPPED
                return function(*args, **kwargs)

        wrapper.lock_name = name  # type: ignore[attr-defined]
        return wrapper

    return decorate
