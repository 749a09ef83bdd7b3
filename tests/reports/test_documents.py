"""The budget annex as a PDF rendered by a job: asked for by POST, offered on the document's page
to its requester only, rendered once, failures told, old files swept.

Without a broker (the default here, as in `make run`) the job runs in process after commit: the
first tests capture the commit callbacks. The last ones publish to Redis and start a real
worker, to show that the request returns before the PDF exists.
"""

import io
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reports import services
from reports.models import DocumentKind, DocumentStatus, GeneratedDocument
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import response_bytes
from tests.stack import REDIS_DBS, celery_worker, publishing_to, redis_client, redis_url

DB = REDIS_DBS["pdfjobs"]
# A bound on waiting for the worker, not a measure of speed: a busy machine is slower.
RENDER_TIMEOUT = 120


def _prepare(client, insee: str = "59172", year: int = 2025):
    return client.post(reverse("reports:annex-pdf", args=[insee, year]))


def _prepare_eagerly(client, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return _prepare(client, **kwargs)


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response_bytes(response)))
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))


def _files(settings) -> list[Path]:
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return sorted(path for path in root.rglob("*.pdf"))


@pytest.fixture
def staff_client(client, commune_staff, full_year_2025):
    client.force_login(commune_staff)
    return client


# --- Asking for the PDF, without a broker: rendered during the POST ---


def test_annex_pdf_without_a_broker_is_ready_when_the_post_answers(
    staff_client, django_capture_on_commit_callbacks
):
    response = _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)

    document = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("reports:document", args=[document.pk])
    assert document.status == DocumentStatus.READY
    page = staff_client.get(response.url).content.decode()
    assert reverse("reports:document-file", args=[document.pk]) in page


def test_annex_pdf_download_is_a_pdf_of_the_communes_annex(
    staff_client, django_capture_on_commit_callbacks, structure
):
    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    document = GeneratedDocument.objects.get()

    text = _pdf_text(staff_client.get(reverse("reports:document-file", args=[document.pk])))

    assert "commune de Denain (code INSEE 59172)" in text
    assert structure.name in text
    assert "23 000,00 €" in text


def test_annex_page_asks_for_the_pdf_with_a_csrf_protected_form(staff_client):
    page = staff_client.get(reverse("reports:annex", args=["59172", 2025])).content.decode()

    action = reverse("reports:annex-pdf", args=["59172", 2025])
    form = re.search(rf'<form method="post" action="{action}"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None
    assert "csrfmiddlewaretoken" in form.group(1)


def test_annex_pdf_refuses_a_post_without_its_csrf_token(commune_staff, full_year_2025):
    client = Client(enforce_csrf_checks=True)
    client.force_login(commune_staff)

    response = _prepare(client)

    assert response.status_code == 403
    assert not GeneratedDocument.objects.exists()


def test_annex_pdf_refuses_a_get(staff_client):
    response = staff_client.get(reverse("reports:annex-pdf", args=["59172", 2025]))

    assert response.status_code == 405
    assert not GeneratedDocument.objects.exists()


def test_annex_pdf_is_404_for_another_communes_staff(client, other_commune_staff, full_year_2025):
    client.force_login(other_commune_staff)

    response = _prepare(client)

    assert response.status_code == 404
    assert not GeneratedDocument.objects.exists()


def test_annex_pdf_sends_anonymous_visitors_to_the_login_page(client, full_year_2025):
    response = _prepare(client)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not GeneratedDocument.objects.exists()


def test_annex_pdf_of_an_unreasonable_year_is_404(staff_client):
    assert _prepare(staff_client, year=1999).status_code == 404


def test_annex_pdf_service_refuses_an_actor_outside_the_commune(other_commune_staff, commune):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.annex_document_request(actor=other_commune_staff, commune=commune, year=2025)


# --- Who may open the document ---


@pytest.mark.parametrize("name", ["reports:document", "reports:document-file"])
def test_document_is_404_for_another_member_of_the_same_commune(
    staff_client, django_capture_on_commit_callbacks, client, commune, name
):
    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    document = GeneratedDocument.objects.get()
    colleague = MembershipFactory(organisation=commune.organisation, user=UserFactory()).user
    staff_client.force_login(colleague)

    assert staff_client.get(reverse(name, args=[document.pk])).status_code == 404


@pytest.mark.parametrize("name", ["reports:document", "reports:document-file"])
def test_document_is_404_once_its_requester_left_the_commune(
    staff_client, django_capture_on_commit_callbacks, commune_staff, name
):
    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    document = GeneratedDocument.objects.get()

    commune_staff.memberships.all().delete()

    assert staff_client.get(reverse(name, args=[document.pk])).status_code == 404


def test_document_file_is_404_while_the_document_is_pending(staff_client):
    _prepare(staff_client)  # no commit callbacks run: the job is not sent
    document = GeneratedDocument.objects.get()

    response = staff_client.get(reverse("reports:document-file", args=[document.pk]))

    assert document.status == DocumentStatus.PENDING
    assert response.status_code == 404


def test_pending_document_page_says_so_in_a_live_region(staff_client):
    _prepare(staff_client)
    document = GeneratedDocument.objects.get()

    page = staff_client.get(reverse("reports:document", args=[document.pk])).content.decode()

    region = re.search(r'<div id="document-status" role="status"[^>]*>(.*?)</div>', page, re.S)
    assert region is not None
    assert 'data-status="pending"' in page
    assert "being prepared" in region.group(1) or "en préparation" in region.group(1)
    assert "reports/document.js" in page


# --- Reuse and idempotency ---


def test_a_second_request_while_pending_reuses_the_document(staff_client):
    first = _prepare(staff_client)

    second = _prepare(staff_client)

    assert second.url == first.url
    assert GeneratedDocument.objects.count() == 1


def test_a_second_request_soon_after_reuses_the_ready_document(
    staff_client, django_capture_on_commit_callbacks, settings
):
    first = _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)

    second = _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)

    assert second.url == first.url
    assert len(_files(settings)) == 1


def test_a_request_after_ten_minutes_renders_the_annex_again(
    staff_client, django_capture_on_commit_callbacks
):
    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    GeneratedDocument.objects.update(finished_at=timezone.now() - timedelta(minutes=11))

    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)

    statuses = list(GeneratedDocument.objects.values_list("status", flat=True))
    assert statuses == [DocumentStatus.READY, DocumentStatus.READY]


def test_rendering_a_document_twice_stores_one_file(staff_client, settings):
    _prepare(staff_client)
    document = GeneratedDocument.objects.get()

    services.document_render(document_pk=document.pk)
    services.document_render(document_pk=document.pk)

    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    assert [path.name for path in _files(settings)] == [Path(document.file.name).name]


@pytest.mark.django_db(transaction=True)
def test_two_renders_at_once_store_one_file(commune_staff, commune, full_year_2025, settings):
    # Made directly: no job is sent, the two renders below are the only ones.
    document = GeneratedDocument.objects.create(
        requested_by=commune_staff, kind=DocumentKind.ANNEX, commune=commune, year=2025
    )
    barrier = threading.Barrier(2)

    def render(_: int) -> str:
        barrier.wait()  # both read the document pending, render, then meet at the row lock
        try:
            return services.document_render(document_pk=document.pk)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(render, range(2)))

    assert results == [DocumentStatus.READY, DocumentStatus.READY]
    assert len(_files(settings)) == 1


# --- Failures ---


@pytest.fixture
def broken_storage(settings, tmp_path):
    """A private storage that cannot write: its folder would be inside a regular file."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "private", "base_url": None},
        },
    }


def test_a_render_that_cannot_be_stored_is_failed_with_a_message(
    staff_client, django_capture_on_commit_callbacks, broken_storage
):
    response = _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)

    document = GeneratedDocument.objects.get()
    page = staff_client.get(response.url)
    assert document.status == DocumentStatus.FAILED
    assert document.error == services.STORAGE_FAILED
    assert page.status_code == 200
    assert 'data-status="failed"' in page.content.decode()
    assert 'id="document-again"' in page.content.decode()


def test_a_failed_document_is_not_reused(
    staff_client, django_capture_on_commit_callbacks, broken_storage, settings, tmp_path
):
    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }

    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)

    statuses = list(GeneratedDocument.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [DocumentStatus.FAILED, DocumentStatus.READY]


def test_a_ready_documents_page_answers_while_the_storage_is_down(
    staff_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    response = _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    document = GeneratedDocument.objects.get()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "private", "base_url": None},
        },
    }

    page = staff_client.get(response.url)
    download = staff_client.get(reverse("reports:document-file", args=[document.pk]))

    assert page.status_code == 200
    assert download.status_code == 503


# --- The periodic sweep ---


def test_sweep_deletes_documents_older_than_a_week_with_their_file(
    staff_client, django_capture_on_commit_callbacks, settings
):
    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    GeneratedDocument.objects.update(created_at=timezone.now() - timedelta(days=8))

    with django_capture_on_commit_callbacks(execute=True):
        resent, deleted = services.documents_sweep()

    assert (resent, deleted) == (0, 1)
    assert not GeneratedDocument.objects.exists()
    assert _files(settings) == []


def test_sweep_keeps_a_document_of_this_week(staff_client, django_capture_on_commit_callbacks):
    _prepare_eagerly(staff_client, django_capture_on_commit_callbacks)
    GeneratedDocument.objects.update(created_at=timezone.now() - timedelta(days=6))

    assert services.documents_sweep() == (0, 0)


def test_sweep_renders_a_document_whose_job_never_came(
    staff_client, django_capture_on_commit_callbacks
):
    _prepare(staff_client)  # its job was never sent (as with a broker down at the time)
    GeneratedDocument.objects.update(created_at=timezone.now() - timedelta(minutes=15))

    with django_capture_on_commit_callbacks(execute=True):
        resent, _deleted = services.documents_sweep()

    assert resent == 1
    assert GeneratedDocument.objects.get().status == DocumentStatus.READY


def test_sweep_gives_up_on_a_document_pending_for_over_an_hour(staff_client):
    _prepare(staff_client)
    GeneratedDocument.objects.update(created_at=timezone.now() - timedelta(hours=2))

    services.documents_sweep()

    document = GeneratedDocument.objects.get()
    assert document.status == DocumentStatus.FAILED
    assert document.error == services.RENDER_FAILED


# --- With a broker and a real worker ---


@pytest.fixture
def publishing_to_redis() -> Iterator[redis.Redis]:
    """This process publishes its jobs to Redis database DB instead of running them at once
    (tests.stack.publishing_to); the fixture is a client of that database."""
    with redis_client(DB) as client, publishing_to(redis_url(DB), results=True):
        yield client


def _wait_until_settled(pk: int) -> GeneratedDocument:
    deadline = time.monotonic() + RENDER_TIMEOUT
    while time.monotonic() < deadline:
        document = GeneratedDocument.objects.get(pk=pk)
        if document.status != DocumentStatus.PENDING:
            return document
        time.sleep(0.3)
    pytest.fail(f"The worker did not render the document within {RENDER_TIMEOUT} s")


@pytest.mark.django_db(transaction=True)
def test_with_a_worker_the_post_answers_before_the_pdf_exists_then_the_worker_renders_it(
    staff_client, publishing_to_redis, settings
):
    # The world first (its agreements' messages leave in process), then publishing to Redis.
    # Posted before any worker runs: the answer cannot have waited for the render.
    response = _prepare(staff_client)
    document = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert document.status == DocumentStatus.PENDING
    assert not document.file
    assert publishing_to_redis.llen("celery") == 1  # the job waits in the queue
    pending_page = staff_client.get(response.url).content.decode()
    assert 'data-status="pending"' in pending_page

    private = settings.STORAGES["private"]["OPTIONS"]["location"]
    connections.close_all()  # SQLite: no connection of this process holds the file meanwhile
    with celery_worker(broker_db=DB, env={"PRIVATE_MEDIA_ROOT": str(private)}):
        document = _wait_until_settled(document.pk)

    assert document.status == DocumentStatus.READY
    ready_page = staff_client.get(response.url).content.decode()
    assert reverse("reports:document-file", args=[document.pk]) in ready_page
    text = _pdf_text(staff_client.get(reverse("reports:document-file", args=[document.pk])))
    assert "commune de Denain (code INSEE 59172)" in text


@pytest.mark.django_db(transaction=True)
def test_with_a_worker_a_render_that_cannot_be_stored_is_failed(
    staff_client, publishing_to_redis, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    response = _prepare(staff_client)
    document = GeneratedDocument.objects.get()

    connections.close_all()
    with celery_worker(broker_db=DB, env={"PRIVATE_MEDIA_ROOT": str(blocker / "private")}):
        document = _wait_until_settled(document.pk)

    page = staff_client.get(response.url)
    assert document.status == DocumentStatus.FAILED
    assert document.error == services.STORAGE_FAILED
    assert page.status_code == 200
    assert 'data-status="failed"' in page.content.decode()
