"""The demo of `make run`: its server runs with DEBUG off (the product's own French error pages)
and LOCAL_SERVE on (plain HTTP, static files and photos served by Django), as the Makefile starts
it. A real `manage.py runserver` subprocess against the test database (a file on SQLite)."""

import http.client
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection, connections

from tests.factories import JPEG_BYTES, UserFactory
from tests.stack import ROOT, subprocess_env

PASSWORD = "secret-password-42"  # UserFactory's
READY_BOUND = 90  # seconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


@pytest.fixture
def demo_server(transactional_db, tmp_path) -> Iterator[tuple[int, object]]:
    """`manage.py runserver` with the settings the Makefile's `run` target gives it."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the server needs a file-based SQLite test database (TEST_DATABASE_NAME)")
    port = _free_port()
    media = tmp_path / "media"
    (media / "photos").mkdir(parents=True)
    env = subprocess_env(DEBUG="false", DEMO_MODE="true", LOCAL_SERVE="true", MEDIA_ROOT=str(media))
    for name in ("SECURE_SSL_REDIRECT", "STATIC_MANIFEST"):  # the tests' own overrides
        env.pop(name, None)
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in the finally below)
    connections.close_all()
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + READY_BOUND
        while True:
            try:
                if _get(port, "/healthz?only=database")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the demo server did not start:\n{log.read()[-4000:]}")
            time.sleep(0.3)
        yield port, media
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_demo_server_serves_pages_static_files_photos_and_french_error_pages(demo_server):
    port, media = demo_server
    (media / "photos" / "salle.jpg").write_bytes(JPEG_BYTES)

    home = _get(port, "/")
    css = _get(port, "/static/core/site.css")
    photo = _get(port, "/media/photos/salle.jpg")
    missing = _get(port, "/nope/")

    assert home[0] == 200
    assert css[0] == 200
    assert b"--primary" in css[2]
    assert (photo[0], photo[2]) == (200, JPEG_BYTES)
    assert missing[0] == 404
    page = missing[2].decode()
    assert "Page introuvable" in page
    assert "Technical details" not in page  # not Django's DEBUG page
    assert "Using the URLconf" not in page


def test_the_demo_server_signs_people_in_over_plain_http(demo_server):
    port, _ = demo_server
    # The tests hash with MD5 (tests/conftest.py); the server knows only the real hashers.
    user = UserFactory(email="demo-login@example.test")
    type(user).objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    )
    connections.close_all()

    status, headers, body = _get(port, "/accounts/login/")
    cookies = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookies.load(value)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    status, headers, answer = _get(
        port,
        "/accounts/login/",
        headers={
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
        body=urlencode(
            {"csrfmiddlewaretoken": token, "username": user.email, "password": PASSWORD}
        ),
    )

    session = [value for name, value in headers if value.startswith("sessionid=")]
    assert status == 302, re.findall(rb"<li>[^<]*</li>", answer)
    assert session
    assert "secure" not in session[0].lower()  # plain HTTP: a Secure cookie would be lost
