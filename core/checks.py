"""Deployment checks of our own (`manage.py check --deploy`)."""

from urllib.parse import urlsplit

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


LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


@register(deploy=True)
def site_url_check(app_configs, **kwargs) -> list[Warning]:
    """Every link in an e-mail or a calendar feed is SITE_URL + a path: left at its development
    default, production mail sends people to their own computer. CONTACT_EMAIL is named in every
    e-mail: left at its default, nobody reads the answers."""
    warnings = []
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    if host in LOCAL_HOSTS or not settings.SITE_URL.startswith("https://"):
        warnings.append(
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}: links in e-mails and calendar feeds would "
                "not reach the site.",
                hint="Set SITE_URL to the public https address of the site (docs/deploy.md).",
                id="core.W002",
            )
        )
    if settings.CONTACT_EMAIL.lower().endswith("@localhost"):
        warnings.append(
            Warning(
                "CONTACT_EMAIL is not set: every e-mail names a contact address nobody reads.",
                hint="Set CONTACT_EMAIL (and OPERATOR_NAME, CONTACT_PHONE) in the environment.",
                id="core.W003",
            )
        )
    return warnings
