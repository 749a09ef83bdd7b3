"""The media buckets in backups: deploy/backup.sh and deploy/restore.sh call this when S3_BUCKET
is set (docs/deploy.md, sections 12 and 13).

  manage.py s3_media export DIR            → DIR/media.tar.gz and DIR/private.tar.gz
  manage.py s3_media occupied              → one line per storage whose prefix holds objects
  manage.py s3_media import DIR [--replace]

A management command rather than a script of its own: it reads the storages exactly as the
application does (config/storage.py: the same variables, defaults, prefix checks, timeouts and
checksum options), through core/s3.py. It prints counts and bucket addresses, never an object
name or a credential.
"""

import tarfile
from pathlib import Path

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.s3 import (
    MediaS3Storage,
    StorageUnavailable,
    storage_address,
    storage_archive,
    storage_is_empty,
    storage_object_count,
    storage_restore,
)

# Archive name → storage alias; the same archives as the media folders' (deploy/backup.sh).
ARCHIVES = {"media.tar.gz": "default", "private.tar.gz": "private"}


class Command(BaseCommand):
    help = (
        "Copy the objects of the media and private S3 prefixes into a backup directory, or "
        "back into empty prefixes (deploy/backup.sh, deploy/restore.sh)."
    )
    requires_system_checks = []  # runs before the database is restored

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="write DIR/media.tar.gz and DIR/private.tar.gz")
        export.add_argument("directory", type=Path)
        actions.add_parser("occupied", help="list the prefixes that hold objects")
        restore = actions.add_parser("import", help="upload the archives of DIR")
        restore.add_argument("directory", type=Path)
        restore.add_argument(
            "--replace", action="store_true", help="delete the objects already there first"
        )

    def handle(self, *args, action: str, **options) -> None:
        buckets = {archive: _s3_storage(alias) for archive, alias in ARCHIVES.items()}
        try:
            if action == "export":
                for archive, storage in buckets.items():
                    copied = storage_archive(storage, options["directory"] / archive)
                    self.stdout.write(
                        f"{storage_address(storage)}: {copied.objects} objects, "
                        f"{copied.bytes} bytes → {archive}"
                    )
            elif action == "occupied":
                for storage in buckets.values():
                    if count := storage_object_count(storage):
                        self.stdout.write(f"{storage_address(storage)} ({count} objects)")
            else:
                # Both checked before anything is written: no half-restored pair of prefixes.
                occupied = [storage_address(s) for s in buckets.values() if not storage_is_empty(s)]
                if occupied and not options["replace"]:
                    raise CommandError(f"not empty: {', '.join(occupied)} (--replace to replace)")
                for archive, storage in buckets.items():
                    copied = storage_restore(
                        storage, options["directory"] / archive, replace=options["replace"]
                    )
                    self.stdout.write(
                        f"{archive} → {storage_address(storage)}: {copied.objects} objects, "
                        f"{copied.bytes} bytes"
                    )
        except (StorageUnavailable, ValueError, OSError, tarfile.TarError) as exc:
            raise CommandError(str(exc)) from None


def _s3_storage(alias: str) -> MediaS3Storage:
    storage = storages[alias]
    if not isinstance(storage, MediaS3Storage):
        raise CommandError("the media are not on S3 (S3_BUCKET is not set)")
    return storage
