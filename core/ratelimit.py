"""Rate limits for the public forms that django-axes does not cover (sign-up, invitations).

A fixed window counted in the shared cache: `cache.add` then `cache.incr` are atomic on Redis
(and under a lock in local memory), so concurrent requests from several workers cannot all
read "under the limit". django-ratelimit does the same, but has had no release since 2023 and
does not declare Django 5; this is the few lines we need.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from hashlib import sha256

from django.conf import settings
from django.core.cache import BaseCache, cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from core.http import too_many_requests

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def rate_parse(rate: str) -> Rate:
    """ "10/hour" → Rate(10, 3600). Raises ImproperlyConfigured on anything else."""
    count, _, period = rate.partition("/")
    try:
        return Rate(int(count), PERIODS[period.strip().lower().rstrip("s")])
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(
            f"A rate is '<count>/<second|minute|hour|day>', got {rate!r}"
        ) from exc


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address the last trusted proxy saw.

    Each of the TRUSTED_PROXY_COUNT proxies appends the address it received from to
    X-Forwarded-For, so the client is the N-th entry from the right; what a client writes
    further left is not trusted. Also django-axes' AXES_CLIENT_IP_CALLABLE.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def rate_ident(request: HttpRequest) -> str:
    """Whom a rate counts: a signed-in account, else the client's address."""
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user and user.is_authenticated else client_ip(request)


def cache_count(counters: BaseCache, key: str, *, timeout: int | None) -> int:
    """Add one to the counter `key` and return it; a new counter starts at 1 and lasts
    `timeout` seconds. Atomic across workers: in one round trip on Redis
    (core.cache.ResilientRedisCache.count_hit); elsewhere `add` creates it once and `incr`
    counts on it."""
    count_hit = getattr(counters, "count_hit", None)
    if count_hit is not None:
        return count_hit(key, timeout=timeout)
    if counters.add(key, 1, timeout=timeout):
        return 1
    try:
        return counters.incr(key)
    except ValueError:  # expired between add and incr
        counters.add(key, 1, timeout=timeout)
        return 1


def rate_hit(*, scope: str, ident: str, rate: Rate) -> int:
    """Count one request of `ident` in `scope`; return 0 if allowed, else seconds to wait."""
    now = time.time()
    window = int(now // rate.seconds)
    digest = sha256(ident.encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    # The window's key lives one period longer than the window, then disappears by itself.
    count = cache_count(cache, key, timeout=rate.seconds * 2)
    if count <= rate.count:
        return 0
    return max(1, int((window + 1) * rate.seconds - now + 0.999))


def rate_limited(
    scope: str, *, methods: tuple[str, ...] = ("POST",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Answer 429 (with Retry-After) once a client exceeds `settings.RATE_LIMITS[scope]`.

    Counted per signed-in account, else per client address; only `methods` count.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                wait = rate_hit(
                    scope=scope,
                    ident=rate_ident(request),
                    rate=rate_parse(settings.RATE_LIMITS[scope]),
                )
                if wait:
                    return too_many_requests(request, retry_after=wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
