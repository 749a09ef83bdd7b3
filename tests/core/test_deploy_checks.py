"""Our own `check --deploy` warnings."""

from django.core.checks import run_checks


def deploy_warning_ids() -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=True)}


def test_a_process_local_cache_is_flagged_for_production(settings):
    # Found by probing gunicorn with 2 workers and no CACHE_URL: the 7th wrong password in a row
    # reached a worker that had counted none, and was checked again.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert "core.W001" in deploy_warning_ids()


def test_a_shared_cache_is_not_flagged(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }

    assert "core.W001" not in deploy_warning_ids()
