"""A real SMTP server for the mail tests (aiosmtpd on 127.0.0.1), and a port where none listens."""

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class _Controller(Controller):
    """aiosmtpd 1.4 checks that its server is up by connecting to the port it was given,
    which with port 0 is refused: read the port the system chose first."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    """What the server received, in order (the handler runs in the server's thread)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.SMTP)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def subjects(self) -> list[str]:
        with self._lock:
            return [str(message["Subject"]).strip() for message in self.messages]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages addressed to `address`, in order."""
        with self._lock:
            return [
                message
                for message in self.messages
                if address.lower() in str(message["To"]).lower()
            ]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def text_of(message: email.message.EmailMessage) -> str:
    """The plain-text part of `message`, decoded."""
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: email.message.EmailMessage) -> str | None:
    """The HTML part of `message`, decoded, or None if it has none."""
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else None


def free_port() -> int:
    """A port of 127.0.0.1 where nothing listens (a connection to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(port: int = 0, inbox: Inbox | None = None) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on 127.0.0.1:`port` (0: any free port) until the block ends; `inbox`
    (an Inbox or a subclass with other aiosmtpd hooks) handles the messages."""
    inbox = inbox or Inbox()
    controller = _Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def smtp_settings(port: int) -> dict[str, str]:
    """The environment that points a worker subprocess at the server on `port`."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "10",
    }
