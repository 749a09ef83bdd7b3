"""Photos and private documents on S3-compatible storage, against a real S3 HTTP server (moto's
server mode, tests/stack/s3.py): uploads through the real pages, what the bucket holds, who may
read it, and a storage that is missing or down (a clear error, no row, no 500, no key shown).
"""

import html
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from accounts.models import DocumentKind, OrganisationDocument
from bookings.models import InventoryKind, InventoryPhoto
from config.storage import media_storages
from spaces.models import Photo
from tests.bookings.test_allocation_views import (  # noqa: F401 (fixtures)
    accepted,
    offered,
    png,
    signed,
)
from tests.factories import PDF_BYTES, MembershipFactory, StructureFactory, UserFactory
from tests.spaces.test_catalogue import english, jpeg_upload
from tests.stack.s3 import (  # noqa: F401 (s3_endpoint is a fixture)
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    S3Media,
    bucket_create,
    closed_port_url,
    s3_client,
    s3_endpoint,
    s3_environment,
)

STORAGE_DOWN = "the file storage does not answer"


def _point_storages_at(settings, monkeypatch, tmp_path, **variables: str) -> None:
    s3_environment(monkeypatch, **variables)
    settings.STORAGES = {
        **settings.STORAGES,
        **media_storages(private_root=tmp_path / "private"),
    }


@pytest.fixture
def s3_media(settings, monkeypatch, tmp_path, s3_endpoint) -> S3Media:  # noqa: F811
    """The settings of a deployment on two fresh buckets of the S3 server."""
    media = S3Media.fresh(s3_endpoint)
    _point_storages_at(
        settings,
        monkeypatch,
        tmp_path,
        endpoint=s3_endpoint,
        bucket=media.bucket,
        private_bucket=media.private_bucket,
    )
    return media


def _http_get(url: str) -> tuple[int, bytes]:
    """A plain browser-like GET, with no S3 credentials."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (test server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _photo_upload(client, site) -> None:
    response = client.post(
        reverse("spaces:site-photos", args=[site.pk]),
        {"image": jpeg_upload("IMG_2041.jpg"), "alt_text": "Façade sur la rue des Forges"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def _document_upload(client, structure):
    upload = SimpleUploadedFile("statuts.pdf", PDF_BYTES, content_type="application/pdf")
    return client.post(
        reverse("accounts:document-upload", args=[structure.pk]),
        {"kind": DocumentKind.STATUTES, "file": upload, "expires_on": ""},
    )


@pytest.fixture
def document(client, member, structure, s3_media) -> OrganisationDocument:
    """A statute uploaded by `member` through the page, stored in the private bucket."""
    client.force_login(member)
    response = _document_upload(client, structure)
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return OrganisationDocument.objects.get()


def _other_structure_member():
    return MembershipFactory(
        organisation=StructureFactory(name="Une autre association"),
        user=UserFactory(email="other-structure@example.test"),
    ).user


# --- photos: public media ----------------------------------------------------------------------


@pytest.mark.django_db
def test_photo_uploaded_by_a_manager_is_stored_in_the_media_bucket(
    client, commune_staff, site, s3_media
):
    client.force_login(commune_staff)

    _photo_upload(client, site)

    photo = Photo.objects.get()
    assert s3_media.keys(s3_media.bucket) == [f"media/{photo.image.name}"]
    assert s3_media.body(s3_media.bucket, f"media/{photo.image.name}").startswith(b"\xff\xd8\xff")
    assert s3_media.keys(s3_media.private_bucket) == []


@pytest.mark.django_db
def test_site_page_shows_the_photo_from_a_url_that_serves_it(client, commune_staff, site, s3_media):
    client.force_login(commune_staff)
    _photo_upload(client, site)
    client.logout()
    photo = Photo.objects.get()

    page = client.get(reverse("spaces:site-detail", args=[site.pk])).content.decode()

    sources = [html.unescape(src) for src in re.findall(r'<img src="([^"]+)"', page)]
    assert len(sources) == 1
    assert sources[0].startswith(f"{s3_media.endpoint}/{s3_media.bucket}/media/{photo.image.name}?")
    assert _http_get(sources[0]) == (
        200,
        s3_media.body(s3_media.bucket, f"media/{photo.image.name}"),
    )


@pytest.mark.django_db
def test_photo_object_is_not_readable_without_a_signature(client, commune_staff, site, s3_media):
    client.force_login(commune_staff)
    _photo_upload(client, site)
    photo = Photo.objects.get()

    status, _body = _http_get(f"{s3_media.endpoint}/{s3_media.bucket}/media/{photo.image.name}")

    assert status == 403


@pytest.mark.django_db
def test_photo_url_is_signed_for_s3_media_url_expiry(
    settings, monkeypatch, tmp_path, client, commune_staff, site, s3_media
):
    monkeypatch.setenv("S3_MEDIA_URL_EXPIRY", "600")
    settings.STORAGES = {**settings.STORAGES, **media_storages(private_root=tmp_path)}
    client.force_login(commune_staff)
    _photo_upload(client, site)

    query = parse_qs(urlsplit(Photo.objects.get().image.url).query)

    assert query["X-Amz-Expires"] == ["600"]
    assert query["X-Amz-Signature"]


@pytest.mark.django_db
def test_photo_url_is_plain_under_s3_public_media_url(
    settings, monkeypatch, tmp_path, client, commune_staff, site, s3_media
):
    public_url = f"{s3_media.endpoint}/{s3_media.bucket}"
    monkeypatch.setenv("S3_PUBLIC_MEDIA_URL", public_url)
    settings.STORAGES = {**settings.STORAGES, **media_storages(private_root=tmp_path)}
    client.force_login(commune_staff)
    _photo_upload(client, site)
    photo = Photo.objects.get()

    assert photo.image.url == f"{public_url}/media/{photo.image.name}"


@pytest.mark.django_db
def test_pages_allow_images_from_the_bucket_in_their_csp(client, site, s3_media):
    response = client.get(reverse("spaces:site-detail", args=[site.pk]))

    img_src = next(
        part for part in response["Content-Security-Policy"].split("; ") if "img-src" in part
    )
    assert s3_media.endpoint in img_src.split()


@pytest.mark.django_db
def test_photo_delete_deletes_its_object(
    client, commune_staff, site, s3_media, django_capture_on_commit_callbacks
):
    client.force_login(commune_staff)
    _photo_upload(client, site)
    photo = Photo.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("spaces:photo-delete", args=[photo.pk]))

    assert response.status_code == 302
    assert s3_media.keys(s3_media.bucket) == []


@pytest.mark.django_db
def test_photo_upload_to_a_missing_bucket_is_a_form_error_and_saves_nothing(
    settings,
    monkeypatch,
    tmp_path,
    client,
    commune_staff,
    site,
    s3_endpoint,  # noqa: F811
):
    _point_storages_at(
        settings,
        monkeypatch,
        tmp_path,
        endpoint=s3_endpoint,
        bucket="media-never-created",
        private_bucket="documents-never-created",
    )
    english(client)
    client.force_login(commune_staff)

    response = client.post(
        reverse("spaces:site-photos", args=[site.pk]),
        {"image": jpeg_upload(), "alt_text": "Façade"},
    )

    assert response.status_code == 400
    assert STORAGE_DOWN in response.content.decode()
    assert not Photo.objects.exists()


# --- private documents ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_document_uploaded_by_a_member_is_a_private_object_of_the_private_bucket(
    document, structure, s3_media
):
    key = f"private/{document.file.name}"

    assert document.file.name.startswith(f"organisations/{structure.pk}/")
    assert s3_media.keys(s3_media.private_bucket) == [key]
    assert s3_media.body(s3_media.private_bucket, key) == PDF_BYTES
    assert s3_media.keys(s3_media.bucket) == []
    grants = s3_media.client.get_object_acl(Bucket=s3_media.private_bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert grants[0]["Grantee"]["Type"] == "CanonicalUser"  # the owner alone


@pytest.mark.django_db
def test_document_object_is_refused_to_an_unsigned_request(document, s3_media):
    url = f"{s3_media.endpoint}/{s3_media.private_bucket}/private/{document.file.name}"

    status, body = _http_get(url)

    assert status == 403
    assert PDF_BYTES not in body


@pytest.mark.django_db
def test_document_has_no_url_of_its_own(document, s3_media):
    with pytest.raises(ValueError, match="not accessible via a URL"):
        _ = document.file.url


@pytest.mark.django_db
def test_member_downloads_the_document_from_the_bucket_through_the_view(client, member, document):
    client.force_login(member)

    response = client.get(reverse("accounts:document-download", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
def test_document_download_is_404_for_a_member_of_another_structure(client, document):
    client.force_login(_other_structure_member())

    response = client.get(reverse("accounts:document-download", args=[document.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_document_download_shows_an_anonymous_visitor_no_more_than_for_no_document(
    client, document
):
    """Anonymous visitors are sent to the login page, for this document as for none at all."""
    response = client.get(reverse("accounts:document-download", args=[document.pk]))
    nowhere = client.get(reverse("accounts:document-download", args=[document.pk + 1000]))

    assert response.status_code == nowhere.status_code == 302
    assert response.url.split("?")[0] == reverse("accounts:login")
    assert not hasattr(response, "streaming_content")


@pytest.mark.django_db
def test_document_missing_from_the_bucket_is_404(client, member, document, s3_media):
    s3_media.client.delete_object(
        Bucket=s3_media.private_bucket, Key=f"private/{document.file.name}"
    )
    client.force_login(member)

    response = client.get(reverse("accounts:document-download", args=[document.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_document_download_with_the_storage_down_is_503_and_shows_no_key(
    settings, monkeypatch, tmp_path, client, member, document, s3_media, caplog
):
    _point_storages_at(
        settings,
        monkeypatch,
        tmp_path,
        endpoint=closed_port_url(),
        bucket=s3_media.bucket,
        private_bucket=s3_media.private_bucket,
    )
    client.force_login(member)

    response = english(client).get(reverse("accounts:document-download", args=[document.pk]))

    page = response.content.decode()
    assert response.status_code == 503
    assert "The file storage does not answer" in page
    for secret in (SECRET_ACCESS_KEY, ACCESS_KEY_ID):
        assert secret not in page
        assert secret not in caplog.text


@pytest.mark.django_db
def test_document_upload_with_the_storage_down_is_a_form_error_and_saves_nothing(
    settings, monkeypatch, tmp_path, client, member, structure, s3_media, caplog
):
    _point_storages_at(
        settings,
        monkeypatch,
        tmp_path,
        endpoint=closed_port_url(),
        bucket=s3_media.bucket,
        private_bucket=s3_media.private_bucket,
    )
    client.force_login(member)

    response = _document_upload(english(client), structure)

    assert response.status_code == 400
    assert STORAGE_DOWN in response.content.decode()
    assert not OrganisationDocument.objects.exists()
    for secret in (SECRET_ACCESS_KEY, ACCESS_KEY_ID):
        assert secret not in response.content.decode()
        assert secret not in caplog.text


@pytest.mark.django_db
def test_document_delete_deletes_its_object(document, s3_media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document.delete()

    assert s3_media.keys(s3_media.private_bucket) == []


# --- inventory photos: private, served to those who see the agreement ---------------------------


def _inventory_post(client, allocation):
    return client.post(
        reverse("bookings:allocation-inventory", args=[allocation.pk]),
        {
            "inventory-kind": InventoryKind.ENTRY,
            "inventory-done_on": "2027-02-01",
            "inventory-notes": "Murs propres.",
            "inventory-photo": png(),
            "inventory-alt_text": "Mur nord",
        },
    )


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.django_db
def test_inventory_photo_is_a_private_object_served_through_the_view(
    client,
    signed,  # noqa: F811 (a fixture)
    facilities_manager,
    occupant,
    s3_media,
):
    client.force_login(facilities_manager)
    assert _inventory_post(client, signed).status_code == 302
    photo = InventoryPhoto.objects.get()
    key = f"private/{photo.image.name}"
    client.force_login(occupant)

    served = client.get(reverse("bookings:allocation-inventory-photo", args=[photo.pk]))

    content = b"".join(served.streaming_content)
    assert s3_media.keys(s3_media.private_bucket) == [key]
    assert content == s3_media.body(s3_media.private_bucket, key)
    assert content.startswith(b"\x89PNG")
    assert _http_get(f"{s3_media.endpoint}/{s3_media.private_bucket}/{key}")[0] == 403


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.django_db
def test_inventory_with_the_storage_down_is_a_form_error_and_records_nothing(
    settings,
    monkeypatch,
    tmp_path,
    client,
    signed,  # noqa: F811 (a fixture)
    facilities_manager,
    s3_media,
):
    _point_storages_at(
        settings,
        monkeypatch,
        tmp_path,
        endpoint=closed_port_url(),
        bucket=s3_media.bucket,
        private_bucket=s3_media.private_bucket,
    )
    english(client)
    client.force_login(facilities_manager)

    response = _inventory_post(client, signed)

    assert response.status_code == 400
    assert STORAGE_DOWN in response.content.decode()
    assert not signed.inventories.exists()
    assert not InventoryPhoto.objects.exists()


# --- settings ------------------------------------------------------------------------------------


def test_media_stay_on_disk_without_s3_bucket(monkeypatch, tmp_path):
    monkeypatch.delenv("S3_BUCKET", raising=False)

    storages = media_storages(private_root=tmp_path)

    assert {alias: entry["BACKEND"] for alias, entry in storages.items()} == {
        "default": "django.core.files.storage.FileSystemStorage",
        "private": "django.core.files.storage.FileSystemStorage",
    }
    assert storages["private"]["OPTIONS"] == {"location": tmp_path, "base_url": None}


@pytest.mark.parametrize(("media", "private"), [("media", "media"), ("", "private"), ("a", "a/b")])
def test_one_bucket_refuses_documents_inside_the_media_prefix(
    monkeypatch, tmp_path, media, private
):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("S3_BUCKET", "locaux")
    monkeypatch.delenv("S3_PRIVATE_BUCKET", raising=False)
    monkeypatch.setenv("S3_MEDIA_PREFIX", media)
    monkeypatch.setenv("S3_PRIVATE_PREFIX", private)

    with pytest.raises(ImproperlyConfigured, match="S3_PRIVATE_PREFIX"):
        media_storages(private_root=tmp_path)


def test_private_objects_are_written_with_the_private_acl(monkeypatch, tmp_path):
    s3_environment(monkeypatch, endpoint="http://127.0.0.1:9", bucket="m", private_bucket="d")

    storages = media_storages(private_root=tmp_path)

    assert storages["private"]["OPTIONS"]["default_acl"] == "private"
    assert storages["default"]["OPTIONS"]["file_overwrite"] is False


def test_error_reports_hide_the_bucket_keys(settings, monkeypatch, tmp_path):
    s3_environment(monkeypatch, endpoint="http://127.0.0.1:9", bucket="m", private_bucket="d")
    settings.STORAGES = {**settings.STORAGES, **media_storages(private_root=tmp_path)}

    shown = repr(SafeExceptionReporterFilter().get_safe_settings()["STORAGES"])

    assert SECRET_ACCESS_KEY not in shown
    assert ACCESS_KEY_ID not in shown
