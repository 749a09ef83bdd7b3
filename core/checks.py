"""Deployment checks of our own (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, deploy=True)
def shared_cache_check(app_configs, **kwargs) -> list[Warning]:
    """Login lockout and rate limits count in the default cache. Kept in one process's memory,
    each gunicorn worker counts on its own: with 4 workers an attacker gets 4 times the
    attempts, and a lockout seen by one worker is unknown to the next (found by probing)."""
    if settings.CACHES["default"]["BACKEND"] not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            "The default cache is kept in each process's memory: login lockouts and rate "
            "limits are not shared between workers.",
            hint="Set CACHE_URL (or REDIS_URL) to a Redis server (docs/deploy.md).",
            id="core.W001",
        )
    ]
