"""Uploaded files, whatever holds them (local disk or an S3-compatible bucket, config/storage.py):
the private storage looked up by name, a storage that fails turned into a clear answer, and the
stored file deleted with its row.

A storage that refuses or does not answer raises OSError (`StorageUnavailable` for a bucket:
core/s3.py), a missing file FileNotFoundError; the helpers here turn them into a form error on
upload, a 404 or a 503 page on download, and a log line on delete. Never a 500, and never a row
pointing at a file that was not stored: the file is written before its row.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, default_storage, storages
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

STORAGE_DOWN_MESSAGE = _(
    "The file could not be stored: the file storage does not answer. "
    "Please try again in a few minutes; nothing was saved."
)


class StorageUnavailable(OSError):
    """The file storage refused the operation or did not answer (bucket missing, endpoint down,
    credentials refused). The message names the operation and the error code, never a key."""


class NamedStorage(LazyObject):
    """`storages[alias]`, looked up when first used and again after STORAGES changes.

    A FileField calls its storage callable once, when its model is imported: returning this
    proxy rather than the storage itself lets the tests point STORAGES elsewhere (a tmp folder,
    a bucket), as Django's own `default_storage` does for "default".
    """

    def __init__(self, alias: str) -> None:
        super().__init__()
        self.__dict__["_alias"] = alias
        _named_storages.append(self)

    def _setup(self) -> None:
        self._wrapped = storages[self.__dict__["_alias"]]


_named_storages: list[NamedStorage] = []


def _named_storages_reset(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        for storage in _named_storages:
            storage._wrapped = empty


setting_changed.connect(_named_storages_reset, dispatch_uid="core.storage.named_storages_reset")

# Structures' documents and inventory photos: never a public URL.
private_storage = NamedStorage("private")


@contextmanager
def storage_write(field: str) -> Iterator[None]:
    """Run a write to storage; a storage that fails becomes a ValidationError on `field`.

    Wrap the call that stores the file and creates its row (`instance.save()`, or the file's
    `save()` before the row's): the file is stored first, so no row is left without its file.
    """
    try:
        yield
    except OSError as exc:
        logger.warning("A file could not be stored: %s", _reason(exc))
        raise ValidationError(
            {field: ValidationError(STORAGE_DOWN_MESSAGE, code="storage_unavailable")}
        ) from exc


def stored_file_response(
    request: HttpRequest,
    file: FieldFile,
    *,
    as_attachment: bool = False,
    filename: str = "",
    content_type: str | None = None,
) -> HttpResponse:
    """Serve `file` from its storage; the caller has already checked the user may read it.

    Streamed through the application, so a private file never has a URL of its own. A file
    missing from the storage is a 404; a storage that fails, a 503 page with a message.
    """
    from core.http import storage_unavailable

    try:
        # FileResponse reads the size, so a bucket is read here, inside the try, not while the
        # answer is already on its way.
        return FileResponse(
            file.open("rb"),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    except FileNotFoundError as exc:
        logger.warning("A stored file is missing: %s", file.name)
        raise Http404 from exc
    except OSError as exc:
        logger.warning("A stored file could not be read: %s", _reason(exc))
        return storage_unavailable(request)


def media_probe_url() -> str:
    """The URL the public media storage gives a file: relative when this site serves the media,
    on the bucket or its CDN otherwise (the pages' CSP allows that origin for images)."""
    try:
        return default_storage.url("origin-probe")
    except (OSError, ValueError, NotImplementedError):
        return ""


def _reason(exc: BaseException) -> str:
    # The class and message of the storage's error: they name the operation and the error code
    # (core/s3.py), never a key; a disk error names its path.
    return f"{exc.__class__.__name__}: {exc}"


# --- Deleting a row deletes its stored files -----------------------------------------------------


def _file_delete(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError as exc:
        # The row is gone; an object left behind is only space, and private to the bucket.
        logger.warning("The stored file %s of a deleted row is left behind: %s", name, _reason(exc))


def files_delete_with_row(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    """post_delete: delete the row's stored files once the deletion is committed (a rolled-back
    deletion keeps them). Covers the services, the admin and cascades alike."""
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.FileField):
            name = getattr(instance, field.attname).name
            if name:
                transaction.on_commit(
                    partial(_file_delete, field.storage, name),
                    using=kwargs.get("using"),
                    robust=True,
                )


def files_delete_with_rows_connect() -> None:
    """Connect `files_delete_with_row` to each model that has a file field, and to no other:
    a receiver for every model would make Django load each row before any bulk delete."""
    for model in apps.get_models():
        if any(isinstance(f, models.FileField) for f in model._meta.concrete_fields):
            post_delete.connect(
                files_delete_with_row,
                sender=model,
                dispatch_uid=f"core.storage.files_delete.{model._meta.label}",
            )
