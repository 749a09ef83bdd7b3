"""deploy/backup.sh and deploy/restore.sh with the media in S3 buckets (moto's real S3 HTTP
server, tests/stack/s3.py): backup → restore into new, empty buckets and an empty database →
the same objects (bytes, types), the documents still private, the same rows; a bucket that
holds objects is refused (docs/deploy.md, sections 12 and 13).
"""

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings

from bookings.models import Booking
from config.storage import media_storages
from spaces.models import Photo
from tests import stack
from tests.factories import PDF_BYTES
from tests.ops.test_backup_restore import BACKUP, EXIT_TARGET_NOT_EMPTY, RESTORE, rows, run
from tests.stack.s3 import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    S3Media,
    bucket_create,
    s3_client,
    s3_environment,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def s3_media(settings, monkeypatch, tmp_path, s3_endpoint) -> S3Media:
    """A deployment on two fresh buckets: the settings of this process and of the scripts (the
    variables are in os.environ, which the scripts inherit)."""
    media = S3Media.fresh(s3_endpoint)
    s3_environment(
        monkeypatch,
        endpoint=s3_endpoint,
        bucket=media.bucket,
        private_bucket=media.private_bucket,
    )
    settings.STORAGES = {**settings.STORAGES, **media_storages(private_root=tmp_path / "private")}
    return media


@pytest.fixture
def s3_data(s3_media, data) -> dict[str, object]:
    """The rows of the disk test, their photo and document uploaded into the buckets."""
    return data


def _objects(media: S3Media, bucket: str) -> dict[str, tuple[bytes, str]]:
    """Every object of `bucket`: key → (bytes, Content-Type)."""
    found = {}
    for key in media.keys(bucket):
        response = media.client.get_object(Bucket=bucket, Key=key)
        found[key] = (response["Body"].read(), response["ContentType"])
    return found


def _unsigned_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (test server)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _database_is_empty(url: str) -> bool:
    if url.startswith("sqlite"):
        path = Path(urlsplit(url).path)
        return not path.exists() or path.stat().st_size == 0
    with psycopg.connect(url) as conn:
        (tables,) = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    return tables == 0


def _backup(tmp_path: Path) -> tuple[Path, str]:
    backups = tmp_path / "backups"
    result = run(BACKUP, BACKUP_DIR=str(backups))
    assert result.returncode == 0, result.stdout + result.stderr
    (directory,) = backups.iterdir()
    return directory, result.stdout + result.stderr


def test_backup_then_restore_into_empty_buckets_brings_back_private_objects_and_rows(
    s3_data, s3_media, restore_target, tmp_path
):
    directory, backup_output = _backup(tmp_path)
    media_bucket = bucket_create(s3_media.client, "restored-media")
    private_bucket = bucket_create(s3_media.client, "restored-documents")

    result = run(
        RESTORE,
        str(directory),
        DATABASE_URL=restore_target,
        S3_BUCKET=media_bucket,
        S3_PRIVATE_BUCKET=private_bucket,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    photo, document = s3_data["photo"], s3_data["document"]
    assert _objects(s3_media, media_bucket) == _objects(s3_media, s3_media.bucket)
    assert f"media/{photo.image.name}" in s3_media.keys(media_bucket)
    restored_documents = _objects(s3_media, private_bucket)
    assert restored_documents == _objects(s3_media, s3_media.private_bucket)
    document_key = f"private/{document.file.name}"
    assert restored_documents[document_key][0] == PDF_BYTES
    grants = s3_media.client.get_object_acl(Bucket=private_bucket, Key=document_key)["Grants"]
    assert [(grant["Grantee"]["Type"], grant["Permission"]) for grant in grants] == [
        ("CanonicalUser", "FULL_CONTROL")  # the owner alone
    ]
    assert _unsigned_get(f"{s3_media.endpoint}/{private_bucket}/{document_key}") == 403
    source = stack.test_database_url()
    for model, fields in {
        Booking: ("id", "space", "status", "start", "end"),
        Photo: ("id", "site", "image"),
        type(document): ("id", "organisation", "file"),
    }.items():
        assert rows(restore_target, model, *fields) == rows(source, model, *fields)
    assert "media=s3" in (directory / "backup.info").read_text()
    for secret in (SECRET_ACCESS_KEY, ACCESS_KEY_ID):
        assert secret not in backup_output + result.stdout + result.stderr


def test_restore_writes_the_private_objects_with_s3_private_acl(
    s3_data, s3_media, restore_target, tmp_path
):
    # moto's objects are private without any ACL: another canned ACL shows that the setting is
    # the one applied.
    directory, _ = _backup(tmp_path)
    private_bucket = bucket_create(s3_media.client, "restored-documents")
    key = f"private/{s3_data['document'].file.name}"

    result = run(
        RESTORE,
        str(directory),
        DATABASE_URL=restore_target,
        S3_BUCKET=bucket_create(s3_media.client, "restored-media"),
        S3_PRIVATE_BUCKET=private_bucket,
        S3_PRIVATE_ACL="authenticated-read",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    grants = s3_media.client.get_object_acl(Bucket=private_bucket, Key=key)["Grants"]
    assert {grant["Grantee"].get("URI", "").rsplit("/", 1)[-1] for grant in grants} >= {
        "AuthenticatedUsers"
    }


def test_restore_refuses_buckets_that_hold_objects(s3_data, s3_media, restore_target, tmp_path):
    directory, _ = _backup(tmp_path)
    before = {
        bucket: s3_media.keys(bucket) for bucket in (s3_media.bucket, s3_media.private_bucket)
    }

    # An empty database, but the live buckets: restoring over them must not happen by mistake.
    result = run(RESTORE, str(directory), DATABASE_URL=restore_target)

    assert result.returncode == EXIT_TARGET_NOT_EMPTY, result.stdout + result.stderr
    assert "refusing to restore over data" in result.stderr
    assert f"s3://{s3_media.private_bucket}/private/ (1 objects)" in result.stderr
    assert {bucket: s3_media.keys(bucket) for bucket in before} == before
    assert _database_is_empty(restore_target)


def test_restore_with_force_replaces_the_objects_of_the_prefixes(
    s3_data, s3_media, restore_target, tmp_path
):
    directory, _ = _backup(tmp_path)
    expected = _objects(s3_media, s3_media.private_bucket)
    stray = "private/organisations/0/stray.pdf"
    s3_media.client.put_object(Bucket=s3_media.private_bucket, Key=stray, Body=b"stray")
    outside = "elsewhere/kept.txt"  # outside the prefix: not the application's
    s3_media.client.put_object(Bucket=s3_media.private_bucket, Key=outside, Body=b"kept")

    result = run(RESTORE, "--force", str(directory), DATABASE_URL=restore_target)

    assert result.returncode == 0, result.stdout + result.stderr
    restored = _objects(s3_media, s3_media.private_bucket)
    assert restored.pop(outside)[0] == b"kept"
    assert restored == expected


def test_backup_of_media_on_disk_restores_into_buckets(data, s3_endpoint, restore_target, tmp_path):
    # Moving from disk to a bucket is a backup on disk, then a restore with S3_* set.
    backups = tmp_path / "backups"
    disk = {
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.STORAGES["private"]["OPTIONS"]["location"]),
    }
    assert run(BACKUP, BACKUP_DIR=str(backups), **disk).returncode == 0
    (directory,) = backups.iterdir()
    client = s3_client(s3_endpoint)
    media_bucket, private_bucket = bucket_create(client, "media"), bucket_create(client, "docs")
    buckets = S3Media(s3_endpoint, client, media_bucket, private_bucket)

    result = run(
        RESTORE,
        str(directory),
        DATABASE_URL=restore_target,
        S3_BUCKET=media_bucket,
        S3_PRIVATE_BUCKET=private_bucket,
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION=REGION,
        S3_ACCESS_KEY_ID=ACCESS_KEY_ID,
        S3_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        S3_ADDRESSING_STYLE="path",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    photo, document = data["photo"], data["document"]
    assert buckets.keys(media_bucket) == [f"media/{photo.image.name}"]
    assert buckets.body(private_bucket, f"private/{document.file.name}") == PDF_BYTES
    assert _objects(buckets, media_bucket)[f"media/{photo.image.name}"] == (
        (Path(disk["MEDIA_ROOT"]) / photo.image.name).read_bytes(),
        "image/jpeg",
    )
