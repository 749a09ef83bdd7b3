"""Expiry reminders: 30 and 7 days before an insurance certificate or an ESUS approval expires,
to the structure's members and the managers of the sites it occupies; each reminder once."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone

from accounts.models import DocumentKind, ReminderSent
from accounts.reminders import expiry_reminders_send
from bookings.allocations import allocation_end
from core.mail import outbox_sweep
from spaces.models import SpaceKind
from tests.factories import (
    OrganisationDocumentFactory,
    SpaceFactory,
    StructureFactory,
    agreement_signed,
)

EXPIRES = date(2027, 3, 31)

# The reminders' e-mails leave the outbox after commit (in-process here: no broker), so the
# tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def structure(territory_admin):
    """Overrides the shared persona: agreements need a verified structure."""
    return StructureFactory(
        name="Mobilité Solidaire",
        rna="W595000123",
        verified_at=timezone.now(),
        verified_by=territory_admin,
    )


@pytest.fixture
def denain_office(site):
    return SpaceFactory(
        site=site,
        name="Bureau 12",
        kind=SpaceKind.OFFICE,
        surface_m2=Decimal("100"),
        reference_rent=Decimal("230"),
        allocatable=True,
        bookable=False,
    )


@pytest.fixture
def occupied(territory_admin, structure, denain_office, facilities_manager, member):
    """The structure holds a current agreement on a site that `facilities_manager` runs."""
    allocation = agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[denain_office],
        start=date(2026, 1, 1),
        end=date(2028, 1, 1),
    )
    mail.outbox.clear()  # the agreement's own messages (offer, acceptance, signature)
    return allocation


@pytest.fixture
def insurance(structure, member):
    return OrganisationDocumentFactory(
        organisation=structure, kind=DocumentKind.INSURANCE, expires_on=EXPIRES, uploaded_by=member
    )


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_reminder_30_days_before_goes_to_members_and_site_managers(
    occupied, insurance, member, facilities_manager
):
    sent = expiry_reminders_send(today=EXPIRES - timedelta(days=30))

    assert sent == 1
    assert _recipients() == sorted([member.email, facilities_manager.email])
    assert all("Attestation d'assurance à renouveler" in m.subject for m in mail.outbox)


def test_reminder_names_the_date_and_the_site(occupied, insurance, facilities_manager):
    expiry_reminders_send(today=EXPIRES - timedelta(days=30))

    [to_manager] = [m for m in mail.outbox if m.to == [facilities_manager.email]]
    assert "31 mars 2027, dans 30 jours" in to_manager.body
    assert "attestation d'assurance" in to_manager.body
    assert "Les Grands Bureaux" in to_manager.body


def test_reminder_is_not_sent_twice_on_a_second_run(occupied, insurance):
    expiry_reminders_send(today=EXPIRES - timedelta(days=30))
    mail.outbox.clear()

    sent = expiry_reminders_send(today=EXPIRES - timedelta(days=30))

    assert (sent, mail.outbox) == (0, [])


def test_reminders_at_30_then_7_days_and_nothing_in_between(occupied, insurance):
    sent = [
        expiry_reminders_send(today=EXPIRES - timedelta(days=days_left))
        for days_left in range(30, -1, -1)
    ]

    assert sum(sent) == 2
    assert sent[0] == 1  # 30 days before
    assert sent[23] == 1  # 7 days before
    assert list(ReminderSent.objects.values_list("threshold_days", flat=True).order_by("-pk")) == [
        7,
        30,
    ]


def test_a_missed_day_still_sends_the_due_reminder(insurance, member):
    sent = expiry_reminders_send(today=EXPIRES - timedelta(days=25))

    assert sent == 1
    assert ReminderSent.objects.get().threshold_days == 30


def test_a_certificate_first_seen_5_days_before_gets_only_the_7_day_reminder(insurance, member):
    expiry_reminders_send(today=EXPIRES - timedelta(days=5))

    assert list(ReminderSent.objects.values_list("threshold_days", flat=True)) == [7]


def test_no_reminder_once_expired_or_more_than_30_days_ahead(insurance, member):
    sent = expiry_reminders_send(today=EXPIRES + timedelta(days=1)) + expiry_reminders_send(
        today=EXPIRES - timedelta(days=31)
    )

    assert (sent, mail.outbox) == (0, [])


def test_a_renewed_certificate_silences_the_old_one(insurance, structure, member):
    OrganisationDocumentFactory(
        organisation=structure,
        kind=DocumentKind.INSURANCE,
        expires_on=date(2028, 3, 31),
        uploaded_by=member,
    )

    assert expiry_reminders_send(today=EXPIRES - timedelta(days=30)) == 0


def test_esus_approval_reminder_7_days_before(structure, member):
    structure.esus_expires_on = EXPIRES
    structure.save()

    sent = expiry_reminders_send(today=EXPIRES - timedelta(days=7))

    [message] = mail.outbox
    assert sent == 1
    assert message.to == [member.email]
    assert "Agrément ESUS à renouveler" in message.subject
    assert "agrément ESUS" in message.body


def test_managers_of_an_ended_agreement_are_not_reminded(
    commune_staff, occupied, insurance, member, facilities_manager
):
    allocation_end(allocation=occupied, actor=commune_staff, reason="Départ", on=date(2026, 6, 1))
    mail.outbox.clear()  # the early end, told to both sides

    expiry_reminders_send(today=EXPIRES - timedelta(days=30))

    assert _recipients() == [member.email]


def test_a_failing_mail_server_leaves_the_reminder_queued_once_and_the_sweep_sends_it(
    settings, caplog, insurance, member
):
    now = datetime(2027, 3, 1, 7, tzinfo=ZoneInfo("Europe/Paris"))
    settings.EMAIL_BACKEND = "tests.accounts.test_reminders.FailingBackend"
    first = expiry_reminders_send(now=now)
    again = expiry_reminders_send(now=now + timedelta(hours=2))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    swept = outbox_sweep(now=timezone.now() + timedelta(days=1))

    assert (first, again, swept) == (1, 0, 1)
    assert _recipients() == [member.email]
    assert ReminderSent.objects.get().recipient_count == 1
    [record] = [record for record in caplog.records if record.name == "core.mail"]
    assert record.levelname == "WARNING"
    assert f"insurance reminder of organisation {insurance.organisation_id}" in record.getMessage()


def test_command_sends_the_days_reminders_once(insurance, member):
    with time_machine.travel(datetime(2027, 3, 1, 7, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        first, second = io.StringIO(), io.StringIO()
        call_command("send_expiry_reminders", stdout=first)
        call_command("send_expiry_reminders", stdout=second)

    assert _recipients() == [member.email]
    assert (first.getvalue(), second.getvalue()) == (
        "1 rappel(s) d'échéance envoyé(s).\n",
        "0 rappel(s) d'échéance envoyé(s).\n",
    )
