"""Helpers shared by the tests (fixtures that use them are in tests/conftest.py)."""

import http.client
import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urlsplit

from django.db import connections

from tests.factories import PARIS

# The tests' "now": Monday 4 January 2027, 09:00 in Paris, before the dates the tests book.
FROZEN_NOW = datetime(2027, 1, 4, 9, tzinfo=PARIS)


def annex_pdf_response(client, insee: str, year: int):
    """The annex PDF as its page offers it: "Prepare the annex (PDF)" (POST, the job runs in
    process after commit: eager Celery), then the document's download link."""
    from django.test import TestCase
    from django.urls import reverse

    with TestCase.captureOnCommitCallbacks(execute=True):
        prepared = client.post(reverse("reports:annex-pdf", args=[insee, year]))
    assert prepared.status_code == 302, prepared.status_code
    pk = int(prepared.url.rstrip("/").rsplit("/", 1)[-1])
    return client.get(reverse("reports:document-file", args=[pk]))


def response_bytes(response) -> bytes:
    """The body of a response, streamed (a stored file) or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def race(attempts: list[Callable[[], object]], *, timeout: float = 60) -> Counter:
    """Run every attempt in its own thread, all released at once; count the outcomes.

    An outcome is what the attempt returns, or the name of the exception it raised (counted, so
    that an unexpected error fails the assertion). Each thread closes its database connection.
    """
    barrier = threading.Barrier(len(attempts), timeout=timeout)

    def run(attempt: Callable[[], object]) -> object:
        try:
            barrier.wait()  # start every transaction together
            return attempt()
        except Exception as exc:
            return type(exc).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return Counter(pool.map(run, attempts))


def requesters(count: int) -> list:
    """`count` members of as many verified structures."""
    from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory

    return [
        MembershipFactory(organisation=VerifiedStructureFactory(), user=UserFactory()).user
        for _ in range(count)
    ]


def api_session_headers(user) -> dict[str, str]:
    """Headers of a signed-in API client of a real server: session cookie, CSRF cookie and
    X-CSRFToken (DRF's SessionAuthentication enforces CSRF: the cookie holds the secret and the
    header a masked token, as a browser page would send them)."""
    from django.conf import settings
    from django.http import HttpRequest
    from django.middleware.csrf import get_token
    from django.test import Client

    client = Client()
    client.force_login(user)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    token_request = HttpRequest()
    masked_token = get_token(token_request)
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_id}; "
        f"{settings.CSRF_COOKIE_NAME}={token_request.META['CSRF_COOKIE']}",
        "X-CSRFToken": masked_token,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def post_json(base_url: str, path: str, body: dict, headers: dict[str, str]) -> int:
    """POST with the standard library (no proxy settings apply); return the HTTP status."""
    address = urlsplit(base_url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    try:
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def verification_documents_add(structure) -> None:
    """Give a structure the documents its verification requires (accounts VERIFICATION_DOCUMENTS)."""
    from accounts.models import VERIFICATION_DOCUMENTS, DocumentKind
    from tests.factories import OrganisationDocumentFactory

    for kind in VERIFICATION_DOCUMENTS:
        expires_on = None
        if kind == DocumentKind.INSURANCE:
            from django.utils import timezone

            expires_on = timezone.localdate().replace(year=timezone.localdate().year + 1, day=1)
        OrganisationDocumentFactory(organisation=structure, kind=kind, expires_on=expires_on)
