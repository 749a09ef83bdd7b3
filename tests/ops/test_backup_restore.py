"""deploy/backup.sh and deploy/restore.sh, run for real: backup → empty target → restore → the
same rows and the same file bytes (docs/deploy.md, "Backups").

The scripts run as subprocesses against the test database (rows committed, hence
`transaction=True`); the restore goes into a second, empty database (PostgreSQL: `<test db>_restore`,
created here; SQLite: a new file) and empty media directories.
"""

import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings

from accounts.models import OrganisationDocument
from bookings.models import Allocation, Booking
from payments.models import Invoice
from spaces.models import Photo
from tests import stack

BACKUP, RESTORE = stack.ROOT / "deploy" / "backup.sh", stack.ROOT / "deploy" / "restore.sh"
EXIT_DAMAGED, EXIT_TARGET_NOT_EMPTY = 2, 3  # deploy/restore.sh

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media_dirs() -> dict[str, str]:
    """The media directories the test settings write to (tests/conftest.py: _media_in_tmp)."""
    return {
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.STORAGES["private"]["OPTIONS"]["location"]),
    }


def run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own scripts)
        [str(script), *args],
        env=stack.subprocess_env(PYTHON=sys.executable, **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rows(url: str, model, *fields: str) -> list[tuple]:
    """`fields` of every row of `model`'s table in the database at `url`, ordered by id."""
    columns = ", ".join(f'"{model._meta.get_field(name).column}"' for name in fields)
    query = f'SELECT {columns} FROM "{model._meta.db_table}" ORDER BY "id"'  # noqa: S608 (model metadata)
    if url.startswith("sqlite"):
        with sqlite3.connect(urlsplit(url).path.removeprefix("/")) as conn:
            return [tuple(row) for row in conn.execute(query)]
    with psycopg.connect(url) as conn:
        return [tuple(row) for row in conn.execute(query)]


def backup_of(tmp_path: Path, media_dirs: dict[str, str]) -> Path:
    backups = tmp_path / "backups"
    result = run(BACKUP, BACKUP_DIR=str(backups), **media_dirs)
    assert result.returncode == 0, result.stderr
    (directory,) = backups.iterdir()
    return directory


def test_backup_then_restore_into_an_empty_target_brings_back_rows_and_files(
    data, media_dirs, restore_target, tmp_path
):
    directory = backup_of(tmp_path, media_dirs)
    target_media = {
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "restored-private"),
    }

    result = run(RESTORE, str(directory), DATABASE_URL=restore_target, **target_media)

    assert result.returncode == 0, result.stdout + result.stderr
    source = stack.test_database_url()
    expected = {
        Booking: ("id", "space", "status", "start", "end", "purpose"),
        Allocation: ("id", "structure", "status", "start", "end"),
        OrganisationDocument: ("id", "organisation", "kind", "file"),
        Photo: ("id", "site", "image"),
        Invoice: ("id", "number", "amount_cents", "payment"),
    }
    restored = {model: rows(restore_target, model, *fields) for model, fields in expected.items()}
    assert restored == {model: rows(source, model, *fields) for model, fields in expected.items()}
    assert len(restored[Booking]) == 2
    assert restored[Allocation][0][0] == data["agreement"].pk
    assert restored[Invoice][0][1] == data["invoice"].number
    document, photo = data["document"], data["photo"]
    assert (Path(target_media["PRIVATE_MEDIA_ROOT"]) / document.file.name).read_bytes() == (
        Path(media_dirs["PRIVATE_MEDIA_ROOT"]) / document.file.name
    ).read_bytes()
    assert (Path(target_media["MEDIA_ROOT"]) / photo.image.name).read_bytes() == (
        Path(media_dirs["MEDIA_ROOT"]) / photo.image.name
    ).read_bytes()
    # nginx (another user) serves the photos from disk; the documents stay closed to it.
    assert (Path(target_media["MEDIA_ROOT"]) / photo.image.name).stat().st_mode & 0o044 == 0o044
    assert (
        Path(target_media["PRIVATE_MEDIA_ROOT"]) / document.file.name
    ).stat().st_mode & 0o007 == 0


def test_restore_refuses_a_target_that_holds_data(data, media_dirs, tmp_path):
    directory = backup_of(tmp_path, media_dirs)
    document = data["document"]
    before = Booking.objects.count()

    # The target is the live database and media: restoring over them must not happen by mistake.
    result = run(RESTORE, str(directory), **media_dirs)

    assert result.returncode == EXIT_TARGET_NOT_EMPTY
    assert "refusing to restore over data" in result.stderr
    assert Booking.objects.count() == before
    assert document.file.storage.exists(document.file.name)


def test_restore_refuses_a_damaged_backup(data, media_dirs, restore_target, tmp_path):
    directory = backup_of(tmp_path, media_dirs)
    with (directory / "private.tar.gz").open("ab") as archive:
        archive.write(b"\0")

    result = run(
        RESTORE,
        str(directory),
        DATABASE_URL=restore_target,
        MEDIA_ROOT=str(tmp_path / "restored-media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "restored-private"),
    )

    assert result.returncode == EXIT_DAMAGED
    assert "checksum mismatch" in result.stderr
    assert not (tmp_path / "restored-private").exists()


def test_backup_keeps_the_newest_backup_keep_backups(media_dirs, tmp_path):
    backups = tmp_path / "backups"
    for _ in range(3):
        result = run(BACKUP, BACKUP_DIR=str(backups), BACKUP_KEEP="2", **media_dirs)
        assert result.returncode == 0, result.stderr

    kept = sorted(path.name for path in backups.iterdir())

    assert len(kept) == 2
    assert "removed old backup" in result.stdout
