"""Login lockout (django-axes, per account and per address), rate limits on the public forms and
DRF throttles on the API: 429 with Retry-After and a French message, counters in the shared cache.

Issue 9 §3: 30 wrong passwords in 6 s then the right one logged in; 100 API calls all got 200;
failed logins were not logged.
"""

import http.cookiejar
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.contrib.auth import SESSION_KEY
from django.db import connections
from django.urls import reverse

from accounts.lockout import account_ref
from tests.factories import UserFactory
from tests.stack import REDIS_DBS

PASSWORD = "secret-password-42"  # UserFactory's
REDIS_DB = REDIS_DBS["throttling"]  # this file's own database on the shared Redis


@pytest.fixture
def victim(db):
    return UserFactory(email="victime@example.test")


def _login(client, email: str, password: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": email, "password": password})


# --- Login lockout ---------------------------------------------------------------------------


def test_login_after_30_wrong_passwords_is_refused_even_with_the_right_one(client, victim):
    for _ in range(30):
        _login(client, victim.email, "wrong")

    response = _login(client, victim.email, PASSWORD)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_login_lockout_answers_in_french_with_retry_after(client, victim, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, victim.email, "wrong")

    response = _login(client, victim.email, PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Trop de tentatives" in response.content.decode()


def test_login_lockout_starts_at_the_limit_not_before(client, victim, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, victim.email, "wrong")

    response = _login(client, victim.email, PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(victim.pk)


def test_login_lockout_counts_per_address_whatever_the_account(client, victim, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"inconnu{n}@example.test", "wrong")

    response = _login(client, victim.email, PASSWORD)

    assert response.status_code == 429


def test_login_lockout_counts_per_account_whatever_the_address(client, victim, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": victim.email, "password": "wrong"},
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )

    response = _login(client, victim.email, PASSWORD)

    assert response.status_code == 429


def test_login_lockout_ends_after_the_cool_off(client, victim, settings, time_machine):
    time_machine.move_to("2027-03-01 10:00:00+00:00", tick=False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, victim.email, "wrong")

    time_machine.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 1)
    response = _login(client, victim.email, PASSWORD)

    assert response.status_code == 302


def test_failed_login_is_logged_with_account_reference_and_address(client, victim, caplog):
    with caplog.at_level("WARNING", logger="accounts.security"):
        _login(client, victim.email, "wrong")

    [record] = [r for r in caplog.records if r.name == "accounts.security"]
    assert account_ref(victim.email) in record.getMessage()
    assert victim.email not in record.getMessage()  # a pseudonym: no address in the logs
    assert "127.0.0.1" in record.getMessage()
    assert "wrong" not in record.getMessage()


def test_admin_login_is_locked_out_too(client, db, settings):
    admin = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, admin.email, "wrong", path="/admin/login/")

    response = _login(client, admin.email, PASSWORD, path="/admin/login/")

    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_login_behind_a_proxy_counts_the_forwarded_address(client, victim, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": f"x{n}@example.test", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    other_client_same_proxy = client.post(
        "/accounts/login/",
        {"username": victim.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )

    assert other_client_same_proxy.status_code == 302


# --- 20 concurrent wrong logins through a real server ----------------------------------------


def _redis_available() -> bool:
    try:
        with redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["local-memory", "redis"])
def shared_cache(request, settings):
    """The cache the live server counts in: local memory (one process) or the shared Redis."""
    if request.param == "redis":
        if not _redis_available():
            if os.environ.get("CI"):
                pytest.fail("Redis must run on 127.0.0.1:6379 (.ci/run starts it)")
            pytest.skip("no Redis on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "core.cache.ResilientRedisCache",  # what production runs
                "LOCATION": f"redis://127.0.0.1:6379/{REDIS_DB}",
            }
        }
    from django.core.cache import cache

    cache.clear()
    yield request.param
    cache.clear()


def _attempt_login(base_url: str, email: str, password: str, barrier: threading.Barrier) -> int:
    """GET the form (CSRF cookie and token), wait for the others, POST; return the status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    page = opener.open(f"{base_url}/accounts/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": email, "password": password}
    ).encode()
    barrier.wait(timeout=60)
    try:
        return opener.open(f"{base_url}/accounts/login/", data=body, timeout=60).status
    except urllib.error.HTTPError as exc:
        return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_wrong_logins_check_at_most_the_limit(
    live_server, shared_cache, settings, caplog
):
    caplog.set_level("WARNING", logger="accounts.security")
    settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    victim = UserFactory(email="victime@example.test")
    barrier = threading.Barrier(20)

    def attempt(_: int) -> int:
        try:
            return _attempt_login(live_server.url, victim.email, "wrong", barrier)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    right_password = _attempt_login(live_server.url, victim.email, PASSWORD, threading.Barrier(1))

    # Each checked password is logged as a failed login; the others were refused unchecked.
    checked = [r for r in caplog.records if r.getMessage().startswith("Failed login:")]
    assert len(checked) <= settings.AXES_FAILURE_LIMIT
    assert sorted(set(statuses)) in ([200, 429], [429])
    assert right_password == 429
    if shared_cache == "redis":  # the counters are really in Redis, where every worker sees them
        import redis

        with redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB) as client:
            assert client.dbsize() > 0


# --- Rate limits on the other public forms -------------------------------------------------


def test_signup_is_rate_limited_per_address(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/hour"}
    for n in range(2):
        client.post(reverse("accounts:signup"), {"email": f"bot{n}@example.test"})

    response = client.post(reverse("accounts:signup"), {"email": "bot9@example.test"})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Trop de tentatives" in response.content.decode()


def test_signup_page_itself_is_not_counted(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "1/hour"}
    for _ in range(3):
        client.get(reverse("accounts:signup"))

    response = client.post(reverse("accounts:signup"), {"email": "bot@example.test"})

    assert response.status_code == 200  # the form with its errors


def test_invitation_links_are_rate_limited_per_address(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation": "3/hour"}
    for n in range(3):
        client.get(reverse("accounts:invitation-accept", args=[f"devine-{n}"]))

    response = client.get(reverse("accounts:invitation-accept", args=["devine-9"]))

    assert response.status_code == 429


# --- API throttles ---------------------------------------------------------------------------


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def test_anonymous_api_calls_past_the_rate_get_429_in_french(client, db, settings):
    _rates(settings, anon="5/minute")
    statuses = [client.get("/api/v1/spaces/").status_code for _ in range(5)]

    response = client.get("/api/v1/spaces/")

    assert statuses == [200] * 5
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Requête ralentie")


def test_signed_in_api_calls_are_counted_per_account(client, member, settings):
    _rates(settings, anon="1/minute", user="3/minute")
    client.force_login(member)
    statuses = [client.get("/api/v1/spaces/").status_code for _ in range(3)]

    response = client.get("/api/v1/spaces/")

    assert statuses == [200] * 3
    assert response.status_code == 429


def test_booking_creation_has_its_own_rate(client, member, settings):
    _rates(settings, booking_create="2/hour")
    client.force_login(member)
    for _ in range(2):
        client.post("/api/v1/bookings/", {}, content_type="application/json")

    created = client.post("/api/v1/bookings/", {}, content_type="application/json")
    listed = client.get("/api/v1/bookings/")

    assert created.status_code == 429
    assert int(created["Retry-After"]) > 0
    assert listed.status_code == 200


def test_a_forged_forwarded_for_does_not_escape_the_anonymous_rate(client, db, settings):
    """DRF's own throttle keyed an anonymous client by the whole X-Forwarded-For header when
    NUM_PROXIES is unset: a new forged header at each request was a new client. The address is
    now the trusted one (core.ratelimit.client_ip: no proxy is trusted here)."""
    _rates(settings, anon="3/minute")
    statuses = [
        client.get("/api/v1/spaces/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_the_api_rates_count_in_redis_one_integer_per_client_and_window(
    client, member, settings, shared_cache
):
    """Whatever the rate, a client's count is one small integer that expires by itself (DRF's
    throttles rewrote the list of every request time of the period at each request)."""
    import redis as redis_client
    from django.core.cache import cache

    _rates(settings, user="1000000/minute", booking_create="3/hour")
    client.force_login(member)
    statuses = [
        client.post("/api/v1/bookings/", {}, content_type="application/json").status_code
        for _ in range(4)
    ]

    assert statuses[:3] == [400] * 3
    assert statuses[3] == 429
    if shared_cache == "redis":
        with redis_client.Redis(host="127.0.0.1", port=6379, db=REDIS_DB) as server:
            keys = sorted(key.decode() for key in server.keys("*ratelimit:*"))
            assert len(keys) == 2  # the user rate's window and the creations' window
            for key in keys:
                assert server.get(key) == b"4"
                assert 0 < server.ttl(key) <= 2 * 3600
        # Django reads the counter back as the integer it is.
        assert cache.get(keys[0].split(":", 2)[2]) == 4
