"""Helpers shared by the tests (fixtures that use them are in tests/conftest.py)."""

from datetime import datetime

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
