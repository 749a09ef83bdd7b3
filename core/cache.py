"""The shared cache, kept usable when Redis is down.

The cache holds counters only (login failures, request rates), never data. If Redis stops
answering, Django's RedisCache raises on every call and each login or API request becomes a
500: the whole platform is down because a counter is. This backend fails open instead: an
unreachable Redis reads as an empty cache and writes are dropped, so requests go on without
throttling while the error is logged (at most once a minute per process) for the operators.
Only connection and timeout errors are absorbed; any other Redis error still raises.
"""

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
LOG_EVERY_SECONDS = 60
_last_logged = 0.0


def _log_unreachable(operation: str, exc: Exception) -> None:
    global _last_logged  # one timestamp per process: the point is not to flood the log
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.error(
            "Cache unreachable (%s: %s): login lockout and rate limits are off until it is back.",
            operation,
            exc,
        )


def _fail_open(method: Callable, fallback: Callable[..., Any]) -> Callable:
    """`method` of RedisCache, answering `fallback(*args)` while Redis is unreachable."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as exc:
            _log_unreachable(method.__name__, exc)
            return fallback(*args, **kwargs)

    return wrapper


def _nothing(*args, **kwargs) -> None:
    return None


class ResilientRedisCache(RedisCache):
    def _count_hit(self, key: str, *, timeout: int | None, version: int | None = None) -> int:
        """Add one to the counter `key` and return it; a new counter starts at 1 and lasts
        `timeout` seconds. One round trip (SET NX with the expiry, then INCR, in one MULTI),
        where Django's `add` then `incr` take three (`incr` asks EXISTS first). Django reads
        the counter back as the integer it is."""
        key = self.make_and_validate_key(key, version=version)
        pipeline = self._cache.get_client(key, write=True).pipeline()
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]

    # While Redis is unreachable every counter reads 1: nothing is held back.
    count_hit = _fail_open(_count_hit, lambda key, *, timeout, version=None: 1)
    get = _fail_open(RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _fail_open(RedisCache.get_many, lambda keys, version=None: {})
    has_key = _fail_open(RedisCache.has_key, lambda key, version=None: False)
    # True: the caller counts from 1 again, as if the key had just been created.
    add = _fail_open(RedisCache.add, lambda *args, **kwargs: True)
    incr = _fail_open(RedisCache.incr, lambda key, delta=1, version=None: delta)
    set = _fail_open(RedisCache.set, _nothing)
    set_many = _fail_open(RedisCache.set_many, lambda data, timeout=None, version=None: list(data))
    touch = _fail_open(RedisCache.touch, lambda *args, **kwargs: False)
    delete = _fail_open(RedisCache.delete, lambda *args, **kwargs: False)
    delete_many = _fail_open(RedisCache.delete_many, _nothing)
    clear = _fail_open(RedisCache.clear, lambda: False)
