"""Several app servers: two real gunicorn instances (gunicorn.conf.py) on two ports, one
database and one Redis (issue 11, "Several app servers").

Nothing an instance needs to know lives only in its memory: the slot's winner is decided by the
database (row lock and exclusion constraint on PostgreSQL, IMMEDIATE transactions on SQLite),
sessions are in the database, the login failures in the shared Redis cache.

The servers are subprocesses against the test database, so the tests commit for real
(`transaction=True`); on SQLite the test database must be a file (TEST_DATABASE_NAME).
"""

import http.client
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection, connections
from django.urls import reverse

from bookings.models import Booking
from tests.factories import (
    UserFactory,
    booking_request_for,
    paris,
)
from tests.helpers import api_session_headers, post_json, race, requesters
from tests.stack import REDIS_DBS, ROOT, redis_client, redis_url, subprocess_env

REDIS_DB = REDIS_DBS["servers"]
PASSWORD = "secret-password-42"  # UserFactory's
START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
READY_BOUND = 90  # seconds for an instance to answer /healthz (imports Django, forks workers)


@pytest.fixture
def shared_redis():
    with redis_client(REDIS_DB) as client:
        yield client
        client.flushdb()


@pytest.fixture
def file_database(transactional_db):
    """Real transactions in a database the servers can open too."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the servers need a file-based SQLite test database: set TEST_DATABASE_NAME to a "
            "file path"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_tail(log) -> str:
    log.seek(0)
    return log.read()[-4000:]


def _status(base_url: str, path: str) -> int | None:
    address = urlsplit(base_url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


@contextmanager
def gunicorn_instance(name: str) -> Iterator[str]:
    """`gunicorn` started from the repository root (so with gunicorn.conf.py), 2 workers, the
    test database and this module's Redis database as the shared cache; yields its base URL."""
    port = _free_port()
    env = subprocess_env(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        CACHE_URL=redis_url(REDIS_DB),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.pop("REDIS_URL", None)  # jobs stay eager: no worker in this test
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "gunicorn", f"--name=locaux-test-{name}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_BOUND
        while _status(base_url, "/healthz?only=database,cache") != 200:
            if process.poll() is not None:
                pytest.fail(f"gunicorn {name} stopped at start-up:\n{_log_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn {name} did not answer /healthz:\n{_log_tail(log)}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def two_instances(file_database, shared_redis) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        yield (
            stack.enter_context(gunicorn_instance("a")),
            stack.enter_context(gunicorn_instance("b")),
        )


# --- 50 clients on two servers race for one slot -----------------------------------------------


def test_50_clients_on_two_servers_racing_for_one_slot_get_one_201_and_49_409(two_instances, space):
    # A space in use: its calendar exists already, so only the lock and the constraint decide.
    (earlier,) = requesters(1)
    booking_request_for(
        space=space,
        requested_by=earlier,
        start=START - timedelta(days=1),
        end=END - timedelta(days=1),
    )
    users = requesters(50)
    clients = [
        (
            two_instances[n % 2],
            {
                "space": space.pk,
                "organisation": user.memberships.get().organisation_id,
                "purpose": "Assemblée générale",
                "attendees": 12,
                "start": START.isoformat(),
                "end": END.isoformat(),
            },
            api_session_headers(user),
        )
        for n, user in enumerate(users)
    ]
    connections.close_all()  # the servers write; this process only reads afterwards
    path = reverse("api:booking-list")

    statuses = race(
        [
            lambda url=url, body=body, headers=headers: post_json(url, path, body, headers)
            for url, body, headers in clients
        ]
    )

    assert statuses == Counter({201: 1, 409: 49})
    assert Booking.objects.filter(space=space, start=START).count() == 1


# --- A login lockout started on one server is seen on the other ---------------------------------


class _Browser:
    """Cookies and CSRF tokens by hand, over plain HTTP (the servers run with DEBUG off, so
    their cookies are marked Secure, which a standard cookie jar would not send back)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, base_url: str, method: str, path: str, form: dict | None = None):
        address = urlsplit(base_url)
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                for morsel in SimpleCookie(header).values():
                    self.cookies[morsel.key] = morsel.value
            return response.status, content
        finally:
            conn.close()

    def login(self, base_url: str, email: str, password: str) -> tuple[int, str]:
        _, page = self.request(base_url, "GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(
            base_url,
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": email, "password": password},
        )


def test_a_login_lockout_started_on_one_server_refuses_the_right_password_on_the_other(
    two_instances, settings
):
    server_a, server_b = two_instances
    victim = UserFactory(email="victime@example.test")
    connections.close_all()
    attacker = _Browser()
    statuses_on_a = [
        attacker.login(server_a, victim.email, "wrong")[0]
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    status, page = _Browser().login(server_b, victim.email, PASSWORD)

    # The form again, with an error, until the failure that reaches the limit locks the account.
    assert statuses_on_a == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert status == 429
    assert "Trop de tentatives" in page
