"""A real receiving HTTP server for the webhook tests, and the organisations around a booking."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.models import MembershipRole
from bookings.models import Booking
from integrations import services
from integrations.models import WebhookEndpoint
from tests.factories import PARIS, MembershipFactory, UserFactory, booking_request_for


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server received, and the statuses it answers in turn (then 200)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 200


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 (a random port) in a thread, recording each POST; the
    settings let the platform post to it (http, a loopback address)."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state["receiver"].received.append(Received(self.path, dict(self.headers), body))
            status = state["receiver"].answer()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"boom\ninternal error")

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    state["receiver"] = Receiver(url=f"http://{host}:{port}/hooks/locaux")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def admin_of_booker(booker):
    """The booking structure's administrator (the `booker` is one too; a second person)."""
    return booker


@pytest.fixture
def stranger(db):
    """The administrator of another structure, with nothing to do with the booking."""
    user = UserFactory(email="stranger@example.test")
    MembershipFactory(user=user, role=MembershipRole.ADMIN)
    return user


def endpoint_for(user, url: str, events: list[str], organisation=None) -> WebhookEndpoint:
    organisation = organisation or user.memberships.get().organisation
    return services.endpoint_create(
        actor=user, organisation=organisation, url=url, events=events, description="ERP"
    )


def request_booking(space, user, day: int = 5) -> Booking:
    return booking_request_for(
        space=space,
        requested_by=user,
        start=datetime(2027, 1, day, 18, tzinfo=PARIS),
        end=datetime(2027, 1, day, 20, tzinfo=PARIS),
    )
