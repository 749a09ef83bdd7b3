"""Fixtures of the payments tests: localstripe (a real HTTP fake of Stripe) on 127.0.0.1, a
commune that collects by card, a priced space and an association that books it.

Only Stripe is faked; our code runs for real, over HTTP, against localstripe's state.
"""

import hashlib
import hmac
import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from payments.models import ChannelKind, PaymentChannel
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.tariffs import tariff_set
from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory

SECRET_KEY = "sk_test_locaux_communs"
PUBLISHABLE_KEY = "pk_test_locaux_communs"
WEBHOOK_SECRET = "whsec_test_locaux_communs"
HOURLY_CENTS = 1500


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
    yield localstripe_url
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{localstripe_url}/_config/data", method="DELETE"
    )
    urllib.request.urlopen(request, timeout=5)  # noqa: S310


@pytest.fixture
def collector(site):
    """The commune owning the site, with a Stripe channel (a régie, say)."""
    return PaymentChannel.objects.create(
        owner=site.owner,
        kind=ChannelKind.STRIPE,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def priced_space(space):
    tariff_set(
        space=space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.HOUR,
        amount_cents=HOURLY_CENTS,
    )
    return space


@pytest.fixture
def association(db):
    return VerifiedStructureFactory(name="Les Amis du Vélo")


@pytest.fixture
def requester(association):
    return MembershipFactory(
        organisation=association, user=UserFactory(email="asso@example.test")
    ).user


def slot(days: int = 5, hour: int = 10, hours: int = 2) -> tuple[datetime, datetime]:
    """A slot `days` ahead in Paris, far enough for the notice rules."""
    day = timezone.localdate() + timedelta(days=days)
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))
    return start, start + timedelta(hours=hours)


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header made with Stripe's algorithm: HMAC-SHA256 of "<t>.<body>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event_id: str, kind: str, obj: dict) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "api_version": "2020-08-27",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()
