"""The walk-through of docs/api.md, executed literally (issue 14).

Its Python blocks run in order, in one namespace, as an integrator would paste them into one
session: against the live server (pytest-django's `live_server`, a real HTTP server in a thread,
on the demo territory), with the receiver the doc itself starts (http.server on 127.0.0.1) as
the webhook's address. Only what an integrator would fill in differs: `BASE` and `PORT` are
replaced (each line must be found exactly once) and the token and the webhook secret are put
in the environment, after being created by the same services as the profile page and the
organisation's webhooks page. Each block's output must be the `text` block that follows it.

Deliveries go out through the project's own mechanism: recorded after the commit, sent by the
job, which runs in-process (eager Celery, no broker in the tests) in the live server's thread.
If the doc changes and no longer works, or no longer prints what it shows, this fails.
"""

import contextlib
import hashlib
import hmac
import io
import json
import re
import socket
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiTokenScope, User
from accounts.services.tokens import api_token_create
from bookings.models import Booking, BookingStatus
from integrations import services as webhooks
from integrations.models import DeliveryStatus, EventType, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SECTION = "## Walk-through: from a token to a webhook"
# The day the doc's outputs were taken on: today + 14 days, then the next Tuesday, is
# 15 December 2026.
TODAY = datetime(2026, 11, 27, 10, tzinfo=ZoneInfo("Europe/Paris"))
BASE_LINE = 'BASE = "https://locaux.example.fr"'
PORT_LINE = "PORT = 8080"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def walkthrough_steps() -> list[tuple[str, str | None]]:
    """The section's Python blocks in order, each with the `text` block that follows it (its
    expected output) or None."""
    text = DOCS.read_text()
    assert SECTION in text, "docs/api.md lost its walk-through"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    steps: list[tuple[str, str | None]] = []
    for language, body in BLOCK.findall(section):
        if language == "python":
            steps.append((body, None))
        elif language == "text":
            assert steps, "an output block before any Python block"
            assert steps[-1][1] is None, "two output blocks follow one Python block"
            steps[-1] = (steps[-1][0], body)
    return steps


def verification_snippet() -> str:
    """ "Headers and signature": the verification function the walk-through's receiver uses."""
    block = re.search(
        r"<!-- webhook-verification-snippet -->\n```python\n(.*?)```", DOCS.read_text(), re.DOTALL
    )
    assert block, "docs/api.md lost its verification snippet"
    return block.group(1)


def _check_once(code: str, line: str) -> None:
    assert code.count(line) == 1, f"the walk-through must hold `{line}` exactly once"


def _post_forged(port: int, event: dict) -> int:
    """A copy of a received event, altered, with a signature made with another secret."""
    body = json.dumps({**event, "id": "forged", "type": "booking.confirmed"}).encode()
    stamp = int(time.time())
    digest = hmac.new(b"whsec_not_the_secret", f"{stamp}.".encode() + body, hashlib.sha256)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/hooks/locaux",
        data=body,
        headers={"X-LocauxCommuns-Signature": f"t={stamp},v1={digest.hexdigest()}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def walkthrough_settings(settings, live_server):
    """The receiver is http on a loopback address: allowed here only (never in production).
    The payload's links point at the live server."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.SITE_URL = live_server.url
    return settings


def test_the_documented_walkthrough_runs_as_written(live_server, walkthrough_settings, monkeypatch):
    steps = walkthrough_steps()
    code = "\n".join(body for body, _ in steps)
    # The placeholders the test replaces are there, once (a renamed one would reach the doc's
    # example host instead of the live server).
    _check_once(code, BASE_LINE)
    _check_once(code, PORT_LINE)
    assert len(steps) == 8, "the walk-through has eight Python blocks, one per step"
    port = _free_port()
    receiver_url = f"http://127.0.0.1:{port}/hooks/locaux"
    namespace: dict = {"__name__": "walkthrough"}
    outputs: list[tuple[str, str | None]] = []

    with time_machine.travel(TODAY, tick=True):
        call_command("seed_demo", stdout=io.StringIO())
        asso = User.objects.get(email="asso@demo.test")
        organisation = asso.memberships.get().organisation
        # 1. The profile page's service: a read-and-write token for the organisation.
        _token, token = api_token_create(
            actor=asso,
            name="Agenda de l'association",
            scope=ApiTokenScope.WRITE,
            organisation=organisation,
            expires_at=timezone.now() + timedelta(days=90),
        )
        # 3. The webhooks page's service: the receiver's address, the events the doc names.
        endpoint = webhooks.endpoint_create(
            actor=asso,
            organisation=organisation,
            url=receiver_url,
            events=[
                EventType.BOOKING_REQUESTED,
                EventType.BOOKING_CONFIRMED,
                EventType.BOOKING_CANCELLED,
            ],
            description="Walk-through",
        )
        monkeypatch.setenv("LOCAUX_COMMUNS_TOKEN", token)
        monkeypatch.setenv("LOCAUX_COMMUNS_WEBHOOK_SECRET", endpoint.secret)

        exec(verification_snippet(), namespace)  # noqa: S102 (our own documentation)
        try:
            for number, (body, expected) in enumerate(steps, start=1):
                if number == len(steps):  # the receiver still serves: it refuses a forgery
                    forged_status = _post_forged(port, namespace["events"][0])
                body = body.replace(BASE_LINE, f'BASE = "{live_server.url}"')
                body = body.replace(PORT_LINE, f"PORT = {port}")
                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    exec(body, namespace)  # noqa: S102 (our own documentation)
                outputs.append((printed.getvalue(), expected))
        finally:
            if "server" in namespace:
                namespace["server"].server_close()

    for printed, expected in outputs:
        assert printed == (expected or ""), f"printed {printed!r}, the doc shows {expected!r}"
    booking = Booking.objects.get(pk=namespace["booking"]["id"])
    assert (booking.organisation_id, booking.status) == (
        organisation.pk,
        BookingStatus.CANCELLED,
    )
    assert booking.log.filter(to_status=BookingStatus.CANCELLED, reason="Réunion reportée").exists()
    received = namespace["events"]
    assert forged_status == 400
    assert [(event["type"], event["data"]["id"]) for event in received] == [
        ("booking.requested", booking.pk),
        ("booking.cancelled", booking.pk),
    ]
    assert received[0]["data"]["api_url"] == f"{live_server.url}/api/v1/bookings/{booking.pk}/"
    # Both were accepted by the receiver (it answers 400 to a signature it refuses), at once.
    assert sorted(WebhookDelivery.objects.values_list("status", "response_status", "attempts")) == [
        (DeliveryStatus.DELIVERED, 204, 1),
        (DeliveryStatus.DELIVERED, 204, 1),
    ]
