"""The one module that posts webhooks over HTTP (the standard library's http.client: no
redirect is ever followed, and the connection goes to the address `resolve_public` checked).
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from integrations.addresses import resolve_public, url_check

EXCERPT_LENGTH = 200
USER_AGENT = "LocauxCommuns-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int
    milliseconds: int
    excerpt: str  # the first bytes of the body, on one line


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to `address`, with the certificate checked against the URL's host name."""

    def __init__(self, host: str, address: str, **kwargs) -> None:
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs) -> None:
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `url`. Raises ValidationError (address refused), OSError (network,
    TLS, timeout) or http.client.HTTPException (a broken answer)."""
    scheme, host, port = url_check(url)
    address = resolve_public(host, port)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, address, port=port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_LENGTH).decode("utf-8", "replace")
    finally:
        connection.close()
    milliseconds = int((time.monotonic() - started) * 1000)
    return Answer(response.status, milliseconds, " ".join(excerpt.split()))
