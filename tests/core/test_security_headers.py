"""Headers and sessions (issue 9 §8): CSP on the admin and the API docs, no browsable API in
production, `Cache-Control: private, no-store` for signed-in users, an idle session timeout,
Permissions-Policy, /healthz over plain HTTP with the SSL redirect on."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext

import config.settings
from tests.factories import UserFactory


def _csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/schema/", "/api/v1/spaces/"])
def test_admin_and_api_pages_have_the_strict_csp(client, db, path):
    response = client.get(path)

    assert _csp(response)["script-src"] == ["'self'"]
    assert _csp(response)["style-src"] == ["'self'"]


def test_swagger_ui_has_no_inline_script_or_style(client, db):
    html = client.get("/api/docs/").content.decode()

    assert "<script>" not in html
    assert "<style>" not in html


def test_swagger_ui_bootstrap_script_is_served_as_a_file(client, db):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_redoc_alone_may_use_inline_styles(client, db):
    response = client.get("/api/docs/redoc/")

    assert _csp(response)["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in _csp(response)["style-src"]
    assert "fonts.googleapis.com" not in response.content.decode()


def test_api_answers_json_not_the_browsable_api_in_production(client, db):
    response = client.get("/api/v1/spaces/", HTTP_ACCEPT="text/html")

    assert response["Content-Type"] == "application/json"


def test_pages_for_a_signed_in_user_are_never_stored(client, member):
    client.force_login(member)

    response = client.get("/tableau-de-bord/")

    assert response["Cache-Control"] == "private, no-store"


def test_api_answers_for_a_signed_in_user_are_never_stored(client, member):
    client.force_login(member)

    response = client.get("/api/v1/bookings/")

    assert response["Cache-Control"] == "private, no-store"


def test_public_pages_for_visitors_stay_cacheable(client, db):
    response = client.get("/")

    assert "no-store" not in response.get("Cache-Control", "")


@pytest.fixture
def idle_timeout(settings) -> int:
    """The production default (tests/conftest.py lengthens sessions for the other tests)."""
    settings.SESSION_COOKIE_AGE = config.settings.SESSION_COOKIE_AGE
    return settings.SESSION_COOKIE_AGE


def test_session_ends_after_the_idle_timeout(client, member, idle_timeout, time_machine):
    time_machine.move_to("2027-03-01 10:00:00+00:00", tick=False)
    client.force_login(member)

    time_machine.shift(timedelta(seconds=idle_timeout + 60))
    response = client.get("/tableau-de-bord/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_activity_keeps_the_session_alive(client, member, idle_timeout, time_machine):
    time_machine.move_to("2027-03-01 10:00:00+00:00", tick=False)
    client.force_login(member)
    step = timedelta(seconds=idle_timeout * 3 // 4)

    time_machine.shift(step)
    client.get("/tableau-de-bord/")
    time_machine.shift(step)
    response = client.get("/tableau-de-bord/")

    assert response.status_code == 200
    assert client.session[SESSION_KEY] == str(member.pk)


def test_idle_timeout_defaults_to_two_hours():
    assert config.settings.SESSION_COOKIE_AGE == 2 * 60 * 60


def _session_writes(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return [q["sql"] for q in captured if q["sql"].startswith(("UPDATE", "INSERT"))]


def test_requests_within_a_minute_do_not_write_the_session(client, member, time_machine):
    time_machine.move_to("2027-03-01 10:00:00+00:00", tick=False)
    client.force_login(member)

    time_machine.shift(30)
    soon = _session_writes(client, "/tableau-de-bord/")
    time_machine.shift(60)
    later = _session_writes(client, "/tableau-de-bord/")

    assert soon == []
    assert len(later) == 1
    assert "django_session" in later[0]


def test_permissions_policy_turns_off_camera_microphone_and_location(client, db):
    response = client.get("/")

    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


def test_healthz_answers_over_plain_http_with_the_ssl_redirect_on(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    health = client.get("/healthz")
    home = client.get("/")

    assert health.status_code == 200
    assert home.status_code == 301


def test_admin_login_page_works_under_the_csp(client, db):
    admin = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.get("/admin/accounts/organisation/add/")

    assert response.status_code == 200
    assert "<script>" not in response.content.decode()
