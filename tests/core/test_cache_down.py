"""Redis down: the counters are off, the platform is not (core/cache.py).

Found by probing gunicorn with CACHE_URL on a port where nothing listens: every login and every
API call was a 500, since the lockout and the throttles count in the cache."""

import socket

import pytest

from tests.factories import UserFactory


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cache_down(settings, closed_port, monkeypatch):
    import core.cache

    monkeypatch.setattr(core.cache, "_last_logged", 0.0)  # each test sees its own first error
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_login_works_while_the_cache_is_down_and_the_outage_is_logged(
    client, db, cache_down, caplog
):
    UserFactory(email="asso@example.test", password="right-password-42")
    caplog.set_level("ERROR", logger="core.cache")

    wrong = client.post("/accounts/login/", {"username": "asso@example.test", "password": "wrong"})
    right = client.post(
        "/accounts/login/", {"username": "asso@example.test", "password": "right-password-42"}
    )

    assert wrong.status_code == 200  # the form again, with its error
    assert right.status_code == 302
    assert "Cache unreachable" in caplog.text


def test_the_api_answers_while_the_cache_is_down(client, db, cache_down):
    response = client.get("/api/v1/spaces/")

    assert response.status_code == 200


def test_other_redis_errors_are_not_hidden(settings):
    """Only an unreachable server is absorbed: a wrong command still raises."""
    import redis

    from core.cache import ResilientRedisCache

    backend = ResilientRedisCache("redis://127.0.0.1:6379/14", {})
    try:
        backend.set("not-a-number", "x")
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    try:
        with pytest.raises(redis.exceptions.ResponseError):
            backend.incr("not-a-number")
    finally:
        backend.delete("not-a-number")
