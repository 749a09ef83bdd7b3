"""The shared cache, kept usable when Redis is down.

The cache holds counters only (login failures, request rates), never data. If Redis stops
answering, Django's RedisCache raises on every call and each login or API request becomes a
500: the whole platform is down because a counter is. This backend fails open instead: an
unreachable Redis reads as an empty cache and writes are dropped, so requests go on without
throttling while the error is logged (at most once a minute per process) for the operators.
Only connection and timeout errors are absorbed; any other Redis error still raises.
"""

import logging
import time
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


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None) -> Any:
        try:
            return super().get(key, default, version)
        except UNREACHABLE as exc:
            _log_unreachable("get", exc)
            return default

    def get_many(self, keys, version=None) -> dict:
        try:
            return super().get_many(keys, version)
        except UNREACHABLE as exc:
            _log_unreachable("get_many", exc)
            return {}

    def has_key(self, key, version=None) -> bool:
        try:
            return super().has_key(key, version)
        except UNREACHABLE as exc:
            _log_unreachable("has_key", exc)
            return False

    def add(self, key, value, timeout=None, version=None) -> bool:
        # True: the caller counts from 1 again, as if the key had just been created.
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE as exc:
            _log_unreachable("add", exc)
            return True

    def set(self, key, value, timeout=None, version=None) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE as exc:
            _log_unreachable("set", exc)

    def set_many(self, data, timeout=None, version=None) -> list:
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE as exc:
            _log_unreachable("set_many", exc)
            return list(data)

    def touch(self, key, timeout=None, version=None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNREACHABLE as exc:
            _log_unreachable("touch", exc)
            return False

    def incr(self, key, delta=1, version=None) -> int:
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE as exc:
            _log_unreachable("incr", exc)
            return delta

    def delete(self, key, version=None) -> bool:
        try:
            return super().delete(key, version)
        except UNREACHABLE as exc:
            _log_unreachable("delete", exc)
            return False

    def delete_many(self, keys, version=None) -> None:
        try:
            super().delete_many(keys, version)
        except UNREACHABLE as exc:
            _log_unreachable("delete_many", exc)

    def clear(self) -> bool:
        try:
            return super().clear()
        except UNREACHABLE as exc:
            _log_unreachable("clear", exc)
            return False
