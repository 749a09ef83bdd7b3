"""The sweep of inventory files kept for a confirmation that never came (spaces.import_views
keeps the dry run's file in the private storage): the service, its command and its task, on the
real storage of the tests (a folder on disk, tests/conftest.py)."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse

from core.storage import private_storage
from spaces.imports import IMPORT_FILES_DIR, IMPORT_FILES_KEPT_FOR
from spaces.models import Space
from spaces.services import import_files_sweep
from spaces.tasks import sweep_import_files
from tests.spaces.test_inventory_import import csv_file, line
from tests.spaces.test_inventory_import_pages import upload

pytestmark = pytest.mark.django_db


def _kept(name: str, *, age: timedelta) -> str:
    path = private_storage.save(f"{IMPORT_FILES_DIR}/{name}", ContentFile(b"code_insee;site\n"))
    moment = time.time() - age.total_seconds()
    os.utime(private_storage.path(path), (moment, moment))
    return path


def test_files_older_than_a_day_are_deleted_and_the_others_kept():
    old = _kept("old", age=IMPORT_FILES_KEPT_FOR + timedelta(minutes=1))
    recent = _kept("recent", age=IMPORT_FILES_KEPT_FOR - timedelta(minutes=5))
    other = private_storage.save("documents/old.pdf", ContentFile(b"%PDF"))
    moment = time.time() - 10 * 86400
    os.utime(private_storage.path(other), (moment, moment))

    assert import_files_sweep() == 1

    assert not private_storage.exists(old)
    assert private_storage.exists(recent)
    assert private_storage.exists(other)  # only the import files are swept
    assert import_files_sweep() == 0  # idempotent


def test_nothing_kept_yet_is_no_error():
    assert not private_storage.exists(IMPORT_FILES_DIR)

    assert import_files_sweep() == 0


def test_the_command_and_the_task_sweep(capsys):
    first = _kept("a", age=timedelta(days=2))
    second = _kept("b", age=timedelta(days=3))

    call_command("sweep_import_files")
    assert capsys.readouterr().out == "2 fichier(s) d'import supprimé(s).\n"
    assert not private_storage.exists(first)
    assert not private_storage.exists(second)

    third = _kept("c", age=timedelta(days=2))
    assert sweep_import_files.delay().get() == 1  # eager: no broker in the tests
    assert not private_storage.exists(third)


def test_a_confirmation_after_the_sweep_is_asked_to_upload_again(client, commune, commune_staff):
    client.force_login(commune_staff)
    token = upload(client, csv_file([line()])).context["token"]
    (name,) = private_storage.listdir(IMPORT_FILES_DIR)[1]
    moment = time.time() - 2 * 86400
    os.utime(private_storage.path(f"{IMPORT_FILES_DIR}/{name}"), (moment, moment))
    assert import_files_sweep() == 1

    response = client.post(reverse("spaces:inventory-import-confirm"), {"token": token})

    assert response.status_code == 409
    assert "a expiré" in response.content.decode()
    assert not Space.objects.exists()
