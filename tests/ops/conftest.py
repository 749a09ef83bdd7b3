"""Fixtures of the backup tests (test_backup_restore.py: media on disk; test_backup_restore_s3.py:
media in buckets): demo-like rows, an empty database to restore into, the tools the scripts use."""

import shutil
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from payments.models import Payment, PaymentStatus
from payments.selectors import collecting_organisation
from payments.services.documents import invoice_issue_for_payment
from tests import stack
from tests.factories import (
    MembershipFactory,
    OrganisationDocumentFactory,
    PhotoFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    booking_request_for,
)
from tests.payments.conftest import slot
from tests.stack.s3 import s3_endpoint  # noqa: F401 (a fixture, for test_backup_restore_s3.py)


@pytest.fixture
def data(site, space, office, territory_admin) -> dict[str, object]:
    """Demo-like rows: two bookings, a signed agreement, a private document, a photo, an invoice."""
    association = VerifiedStructureFactory(name="Les Amis du Vélo")
    requester = MembershipFactory(
        organisation=association, user=UserFactory(email="asso@example.test")
    ).user
    bookings = [
        booking_request_for(space=space, requested_by=requester, start=start, end=end)
        for start, end in (slot(days=5), slot(days=6, hour=14))
    ]
    agreement = agreement_signed(
        actor=requester,
        structure=association,
        spaces=[office],
        start=timezone.localdate(),
        end=timezone.localdate() + timedelta(days=365),
    )
    document = OrganisationDocumentFactory(organisation=association, uploaded_by=requester)
    photo = PhotoFactory(site=site)
    payment = Payment.objects.create(
        booking=bookings[0],
        owner=collecting_organisation(space),
        amount_cents=3000,
        captured_cents=3000,
        status=PaymentStatus.CAPTURED,
        hold_first=False,
    )
    invoice = invoice_issue_for_payment(payment=payment)
    return {"agreement": agreement, "document": document, "photo": photo, "invoice": invoice}


@pytest.fixture
def restore_target(tmp_path) -> Iterator[str]:
    """The URL of an empty database to restore into, dropped afterwards."""
    source = stack.test_database_url()
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = source.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield source.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _tools_installed():
    needed = ["tar", "sha256sum"] + (
        ["pg_dump", "pg_restore", "psql"] if connection.vendor == "postgresql" else []
    )
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        stack.service_missing(f"needs {', '.join(missing)}")  # a failure under .ci/run
