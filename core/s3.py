"""django-storages' S3 backend, whose failures are exceptions the rest of the code knows.

A missing object is FileNotFoundError; a bucket that is missing or refuses, an endpoint that
does not answer, credentials that are refused are StorageUnavailable (an OSError), whose message
names the operation and the error code and nothing else (no key, no URL). Only this module and
config/storage.py know about boto3; settings choose these classes when S3_BUCKET is set.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

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
