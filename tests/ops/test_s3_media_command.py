"""manage.py s3_media (core/management/commands/s3_media.py), in process, against moto's S3
server: what deploy/backup.sh and restore.sh rely on besides the round trip of
test_backup_restore_s3.py — archives it must refuse, and failures that name no secret."""

import io
import tarfile

import pytest
from django.core.management import CommandError, call_command

from config.storage import media_storages
from tests.stack.s3 import (
    SECRET_ACCESS_KEY,
    S3Media,
    closed_port_url,
    s3_environment,
)


@pytest.fixture
def buckets(settings, monkeypatch, tmp_path, s3_endpoint) -> S3Media:
    media = S3Media.fresh(s3_endpoint)
    s3_environment(
        monkeypatch, endpoint=s3_endpoint, bucket=media.bucket, private_bucket=media.private_bucket
    )
    settings.STORAGES = {**settings.STORAGES, **media_storages(private_root=tmp_path / "private")}
    return media


def _archive(path, *members: tarfile.TarInfo) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for member in members:
            archive.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)


def _file(name: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size = 1
    return member


@pytest.mark.parametrize(
    "bad",
    ["../outside.pdf", "/etc/passwd", "link"],
)
def test_s3_media_import_refuses_an_archive_with_more_than_relative_files(buckets, tmp_path, bad):
    if bad == "link":
        member = tarfile.TarInfo("photos/link.jpg")
        member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
    else:
        member = _file(bad)
    _archive(tmp_path / "media.tar.gz", _file("photos/a.jpg"), member)
    _archive(tmp_path / "private.tar.gz")

    with pytest.raises(CommandError, match="other than plain files with relative names"):
        call_command("s3_media", "import", str(tmp_path))

    assert buckets.keys(buckets.bucket) == []


def test_s3_media_import_refuses_a_prefix_that_holds_objects_before_writing_any(buckets, tmp_path):
    buckets.client.put_object(Bucket=buckets.private_bucket, Key="private/old.pdf", Body=b"old")
    _archive(tmp_path / "media.tar.gz", _file("photos/a.jpg"))
    _archive(tmp_path / "private.tar.gz")

    with pytest.raises(CommandError, match=f"not empty: s3://{buckets.private_bucket}/private/"):
        call_command("s3_media", "import", str(tmp_path))

    assert buckets.keys(buckets.bucket) == []


def test_s3_media_export_with_the_storage_down_fails_naming_no_secret(
    buckets, settings, monkeypatch, tmp_path
):
    monkeypatch.setenv("S3_ENDPOINT_URL", closed_port_url())
    settings.STORAGES = {**settings.STORAGES, **media_storages(private_root=tmp_path / "private")}

    with pytest.raises(CommandError) as failure:
        call_command("s3_media", "export", str(tmp_path))

    assert str(failure.value) == "S3 GetObject failed: EndpointConnectionError"
    assert SECRET_ACCESS_KEY not in str(failure.value)


def test_s3_media_refuses_media_on_disk(tmp_path):
    with pytest.raises(CommandError, match="not on S3"):
        call_command("s3_media", "export", str(tmp_path))
