"""django-storages' S3 backend, whose failures are exceptions the rest of the code knows.

A missing object is FileNotFoundError; a bucket that is missing or refuses, an endpoint that
does not answer, credentials that are refused are StorageUnavailable (an OSError), whose message
names the operation and the error code and nothing else (no key, no URL). Only this module and
config/storage.py know about boto3; settings choose these classes when S3_BUCKET is set.

It also copies a storage's objects to a tar archive and back, for the backups
(`manage.py s3_media`, called by deploy/backup.sh and deploy/restore.sh).
"""

import logging
import mimetypes
import tarfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3File, S3Storage
from storages.utils import clean_name

from core.storage import StorageUnavailable

logger = logging.getLogger(__name__)

# The codes of a missing object. A HEAD request has no body, so S3 answers a bare "404" for a
# missing key and for a missing bucket alike: reading then says "not found", which is true.
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


@contextmanager
def s3_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "unknown"))
        if code in _NOT_FOUND:
            raise FileNotFoundError(f"S3 {operation}: {code}") from None
        raise StorageUnavailable(f"S3 {operation} refused: {code}") from None
    except (BotoCoreError, Boto3Error) as exc:
        # The botocore message may carry the endpoint's URL with the object's key; the class
        # says enough (EndpointConnectionError, ConnectTimeoutError, NoCredentialsError…).
        raise StorageUnavailable(f"S3 {operation} failed: {exc.__class__.__name__}") from None


class _S3File(S3File):
    """An object opened for reading: downloaded at the first read, so its errors are ours too."""

    def _get_file(self):
        with s3_errors("GetObject"):
            return super()._get_file()

    file = property(_get_file, S3File._set_file)


class MediaS3Storage(S3Storage):
    """Public media (photos of the premises) in a bucket; their URLs are signed unless a public
    address is configured (S3_PUBLIC_MEDIA_URL)."""

    def _open(self, name, mode="rb"):
        with s3_errors("HeadObject"):
            return _S3File(self._normalize_name(clean_name(name)), mode, self)

    def _save(self, name, content):
        with s3_errors("PutObject"):
            return super()._save(name, content)

    def delete(self, name):
        with s3_errors("DeleteObject"):
            return super().delete(name)

    def exists(self, name):
        with s3_errors("HeadObject"):
            return super().exists(name)

    def size(self, name):
        with s3_errors("HeadObject"):
            return super().size(name)

    def listdir(self, name):
        with s3_errors("ListObjects"):
            return super().listdir(name)

    def get_modified_time(self, name):
        with s3_errors("HeadObject"):
            return super().get_modified_time(name)


class PrivateS3Storage(MediaS3Storage):
    """Structures' documents and inventory photos: objects private (default_acl "private"),
    served only through the permission-checked views, so no URL is ever made for them (as the
    disk storage with no base URL: ValueError)."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("This file is not accessible via a URL.")


# --- backups: a storage's objects to and from a tar archive (deploy/backup.sh, restore.sh) ---

# The object's Content-Type travels in the archive as the pax record GNU tar knows as an
# extended attribute (the freedesktop "user.mime_type"), which `tar --extract` skips silently.
MIME_TYPE_RECORD = "SCHILY.xattr.user.mime_type"


@dataclass(frozen=True)
class Copied:
    objects: int
    bytes: int


def storage_address(storage: MediaS3Storage) -> str:
    """Where the storage's objects are, for messages: s3://<bucket>/<prefix>/ (no key)."""
    return f"s3://{storage.bucket_name}/{_prefix(storage)}"


def storage_object_count(storage: MediaS3Storage) -> int:
    with s3_errors("ListObjects"):
        return sum(1 for _ in storage.bucket.objects.filter(Prefix=_prefix(storage)))


def storage_is_empty(storage: MediaS3Storage) -> bool:
    with s3_errors("ListObjects"):
        return not any(
            True for _ in storage.bucket.objects.filter(Prefix=_prefix(storage)).limit(1)
        )


def storage_archive(storage: MediaS3Storage, path: Path) -> Copied:
    """Write every object under the storage's prefix into the gzipped tar `path`, named as the
    storage names them (as MEDIA_ROOT's tar of deploy/backup.sh), streamed object by object."""
    prefix, objects, size = _prefix(storage), 0, 0
    client = storage.connection.meta.client
    with (
        tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as archive,
        s3_errors("GetObject"),
    ):
        for summary in storage.bucket.objects.filter(Prefix=prefix):
            name = summary.key[len(prefix) :]
            if not name or name.endswith("/"):  # "folder" markers of some consoles
                continue
            response = client.get_object(Bucket=storage.bucket_name, Key=summary.key)
            # The size of what is read, not of the listing: the object may have been replaced.
            member = tarfile.TarInfo(name)
            member.size = response["ContentLength"]
            member.mtime = int(response["LastModified"].timestamp())
            member.mode = 0o640
            member.pax_headers = {MIME_TYPE_RECORD: response.get("ContentType") or ""}
            with closing(response["Body"]) as body:
                archive.addfile(member, body)
            objects, size = objects + 1, size + member.size
    return Copied(objects=objects, bytes=size)


def storage_restore(storage: MediaS3Storage, path: Path, *, replace: bool) -> Copied:
    """Upload the files of the gzipped tar `path` (from storage_archive, or a tar of a media
    folder) under the storage's prefix, with its ACL (S3_PRIVATE_ACL for the private storage).

    Raises ValueError if the prefix holds objects and not `replace` (which deletes them first),
    or if the archive holds anything but plain files with relative names; StorageUnavailable.
    """
    with tarfile.open(path, "r:gz") as archive:
        members = [(member, _object_name(member)) for member in archive.getmembers()]
    prefix = _prefix(storage)
    with s3_errors("DeleteObjects"):
        if not storage_is_empty(storage):
            if not replace:
                raise ValueError(f"{storage_address(storage)} is not empty")
            storage.bucket.objects.filter(Prefix=prefix).delete()
    client = storage.connection.meta.client
    objects, size = 0, 0
    with tarfile.open(path, "r:gz") as archive, s3_errors("PutObject"):
        for member, name in members:
            if name is None:
                continue
            parameters = {
                "ContentType": member.pax_headers.get(MIME_TYPE_RECORD)
                or mimetypes.guess_type(name)[0]
                or storage.default_content_type
            }
            if storage.default_acl:
                parameters["ACL"] = storage.default_acl
            with archive.extractfile(member) as content:
                client.put_object(
                    Bucket=storage.bucket_name,
                    Key=prefix + name,
                    Body=content,
                    ContentLength=member.size,
                    **parameters,
                )
            objects, size = objects + 1, size + member.size
    return Copied(objects=objects, bytes=size)


def _prefix(storage: MediaS3Storage) -> str:
    location = storage.location.strip("/")
    return f"{location}/" if location else ""


def _object_name(member: tarfile.TarInfo) -> str | None:
    """The storage name of an archive member; None for a directory. A link, a device, an
    absolute name or one that climbs out ("..") is refused: it was not written by backup.sh."""
    if member.isdir():
        return None
    name = PurePosixPath(member.name)
    if not member.isfile() or name.is_absolute() or ".." in name.parts:
        raise ValueError("the archive holds something other than plain files with relative names")
    return str(name)  # "./photos/a.jpg" (tar of a folder) → "photos/a.jpg"
