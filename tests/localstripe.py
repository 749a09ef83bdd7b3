"""localstripe (PyPI), a stateful fake of Stripe's HTTP API, started once per test session on
127.0.0.1; `stripe_api` points the gateway (and the payment page's Stripe.js) at it and empties
its store after each test. Loaded by tests/conftest.py for the payments and browser tests.
"""

import importlib.util
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


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=0.5)  # noqa: S310 (our own loopback URL)
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
    deadline = time.monotonic() + 20
    while not _answers(f"{url}/v1/customers"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("localstripe did not start within 20 s")
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
    urllib.request.urlopen(request, timeout=5)  # noqa: S310
