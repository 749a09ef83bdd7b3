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


def test_links_to_localhost_and_an_unread_contact_are_flagged_for_production(settings):
    # `make run` on another PORT used to write 127.0.0.1:8000 in every e-mail.
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.CONTACT_EMAIL = "contact@localhost"

    assert {"core.W002", "core.W003"} <= deploy_warning_ids()


def test_a_public_site_address_and_a_contact_are_not_flagged(settings):
    settings.SITE_URL = "https://locaux.example.fr"
    settings.CONTACT_EMAIL = "locaux@example.fr"

    assert {"core.W002", "core.W003"} & deploy_warning_ids() == set()
