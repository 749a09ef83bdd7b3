"""localstripe (PyPI), a stateful fake of Stripe's HTTP API, started once per test session on
127.0.0.1; `stripe_api` points the gateway (and the payment page's Stripe.js) at it and empties
its store after each test; `stripe_webhook` registers a webhook for one test. Loaded by
tests/conftest.py for the payments and browser tests.

Deadlines here are generous and only bound a wait for a condition: on a busy machine (a CI
runner, a full suite beside other work) starting localstripe or answering a call can take
seconds, and a test must then be slower, not fail.
"""

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Starting localstripe imports aiohttp and localstripe (compiled on a fresh clone): seconds when busy.
START_DEADLINE_SECONDS = 120
# One call to localstripe: it answers in milliseconds when idle, but it is one process serving
# the test, the live server's webhook handlers and the browser at once.
CALL_TIMEOUT_SECONDS = 30


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 (our own loopback URL)
    except urllib.error.HTTPError:
        return True  # any HTTP answer (401 without a key) means it is up
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def localstripe_url():
    """Start localstripe bound to loopback only (its CLI binds every interface)."""
    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed: pip install -e '.[test]'")
    port = _free_port()
    code = (
        "from aiohttp import web; from localstripe.server import app; "
        f"web.run_app(app, host='127.0.0.1', port={port}, print=None)"
    )
    process = subprocess.Popen(  # noqa: S603 (fixed command, our own interpreter)
        [sys.executable, "-W", "ignore", "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while not _answers(f"{url}/v1/customers"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"localstripe did not start within {START_DEADLINE_SECONDS} s")
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_api(localstripe_url, settings):
    """Point the gateway at localstripe; its store is emptied after each test."""
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    yield localstripe_url
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{localstripe_url}/_config/data", method="DELETE"
    )
    urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS)  # noqa: S310


def _webhook_set(base: str, name: str, fields: dict) -> None:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{base}/_config/webhooks/{name}",
        data=json.dumps(fields).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS)  # noqa: S310


@pytest.fixture
def stripe_webhook(stripe_api):
    """Register a webhook at localstripe for this test only: `stripe_webhook(name, url, secret,
    events)`.

    localstripe keeps webhooks when its store is emptied, and sends each event a second after
    it happens: without this, an event of one test would reach the next test's database
    through a webhook left behind. At the end, each webhook is kept but subscribed to no event.
    """
    names = []

    def register(name: str, *, url: str, secret: str, events: list[str]) -> None:
        _webhook_set(stripe_api, name, {"url": url, "secret": secret, "events": events})
        names.append(name)

    yield register
    for name in names:
        _webhook_set(stripe_api, name, {"url": "http://127.0.0.1:9/", "secret": "-", "events": []})
