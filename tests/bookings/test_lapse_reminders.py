"""Before a pending request lapses, the people who decide are reminded (once); when it lapses,
the requester and they are told, so that the mail and the approval queue agree.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris. The request is for Wednesday
20 January, 18:00–20:00: it lapses 10 days after it was made, on Thursday 14 January at 09:00,
and its reminder is due two days before, from Tuesday 12 January at 09:00.
"""

from collections import Counter
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import Notification
from bookings.models import Booking, BookingStatus
from bookings.selectors import bookings_pending_for
from bookings.services import (
    booking_approve,
    bookings_expire_lapsed,
    bookings_send_lapse_reminders,
)
from bookings.tasks import send_lapse_reminders
from core.models import OutboxMail
from tests.factories import SiteFactory, SpaceFactory, UserFactory, booking_request_for, paris
from tests.helpers import race
from tests.stack.smtp import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 20, 18), paris(2027, 1, 20, 20)
LAPSES_AT = paris(2027, 1, 14, 9)
DUE = paris(2027, 1, 12, 10)  # within two days of the lapse


def _book(space, user, start=START, end=END) -> Booking:
    return booking_request_for(space=space, requested_by=user, start=start, end=end)


def _header(message, name: str) -> str:
    return str(message[name]).strip()


@pytest.fixture
def pending(space, requester, facilities_manager, smtp_inbox) -> Booking:
    """A pending request on the managed site; the inbox is emptied of its own messages."""
    booking = _book(space, requester)
    assert booking.lapses_at == LAPSES_AT
    smtp_inbox.deliver().clear()
    return booking


def test_the_lapse_reminder_goes_to_the_deciders_two_days_before(
    pending, smtp_inbox, requester, facilities_manager, commune_staff, outsider
):
    reminded = bookings_send_lapse_reminders(now=DUE)

    inbox = smtp_inbox.deliver()
    assert reminded == 1
    [message] = inbox.to(facilities_manager.email)
    assert _header(message, "Subject") == (
        "[Locaux Communs] Demande de réservation à traiter avant le 14 janvier — Salle Usinor"
    )
    text = text_of(message)
    assert "attend toujours une décision" in text
    assert "avant le jeudi 14 janvier 2027 à 09:00, elle expirera" in text
    assert reverse("bookings:pending") in text
    assert _header(message, "Reply-To") == requester.email
    assert _header(message, "List-Unsubscribe").startswith("<http")
    assert inbox.to(requester.email) == []
    assert inbox.to(commune_staff.email) == inbox.to(outsider.email) == []


def test_no_lapse_reminder_before_two_days_from_the_lapse(pending, smtp_inbox):
    assert bookings_send_lapse_reminders(now=paris(2027, 1, 12, 8)) == 0

    assert smtp_inbox.deliver().messages == []


def test_the_lapse_reminder_job_run_twice_sends_once(pending, smtp_inbox, facilities_manager):
    with time_machine.travel(DUE, tick=False):
        first = send_lapse_reminders()
        second = send_lapse_reminders()
        out = StringIO()
        call_command("send_lapse_reminders", stdout=out)
        inbox = smtp_inbox.deliver()

    assert (first, second) == ({"reminded": 1}, {"reminded": 0})
    assert out.getvalue().strip() == "0 demande(s) rappelée(s)."
    assert len(inbox.to(facilities_manager.email)) == 1
    pending.refresh_from_db()
    assert pending.lapse_reminder_sent_at == DUE


def test_a_decided_request_is_not_reminded(pending, smtp_inbox, facilities_manager):
    booking_approve(booking=pending, actor=facilities_manager)
    smtp_inbox.deliver().clear()

    assert bookings_send_lapse_reminders(now=DUE) == 0

    assert smtp_inbox.deliver().messages == []


def test_a_request_that_lapses_within_a_day_of_being_made_is_not_reminded(
    space, requester, facilities_manager, smtp_inbox
):
    space.min_notice_hours = 2
    space.save()
    booking = _book(space, requester, paris(2027, 1, 4, 18), paris(2027, 1, 4, 19))
    smtp_inbox.deliver().clear()

    assert bookings_send_lapse_reminders(now=paris(2027, 1, 4, 17)) == 0

    assert booking.lapses_at == paris(2027, 1, 4, 18)
    assert smtp_inbox.deliver().messages == []


def test_the_lapse_reminder_on_a_site_without_manager_goes_to_the_communes_staff(
    commune, requester, commune_staff, territory_admin, smtp_inbox
):
    space = SpaceFactory(site=SiteFactory(commune=commune), name="Grande salle")
    _book(space, requester)
    smtp_inbox.deliver().clear()

    bookings_send_lapse_reminders(now=DUE)

    inbox = smtp_inbox.deliver()
    assert [_header(message, "To") for message in inbox.messages] == [commune_staff.email]


def test_the_lapse_reminder_is_in_english_for_a_manager_who_reads_english(
    pending, site, smtp_inbox
):
    manager = UserFactory(email="manager-en@example.test", language="en")
    site.managers.add(manager)

    bookings_send_lapse_reminders(now=DUE)

    [message] = smtp_inbox.deliver().to(manager.email)
    assert _header(message, "Subject") == (
        "[Locaux Communs] Booking request to decide by 14 January — Salle Usinor"
    )
    assert "Without an answer by Thursday 14 January 2027, 09:00" in text_of(message)


def test_a_switched_off_lapse_reminder_is_listed_but_not_mailed(
    pending, smtp_inbox, facilities_manager
):
    facilities_manager.muted_topics = ["lapse_reminder"]
    facilities_manager.save()

    assert bookings_send_lapse_reminders(now=DUE) == 1

    assert smtp_inbox.deliver().messages == []
    assert Notification.objects.filter(user=facilities_manager, topic="lapse_reminder").exists()


# --- The lapse itself ---


def test_a_lapse_tells_the_requester_and_the_deciders_and_empties_the_queue(
    pending, smtp_inbox, requester, facilities_manager, commune_staff
):
    assert bookings_expire_lapsed(now=paris(2027, 1, 14, 9, 30)) == 1

    inbox = smtp_inbox.deliver()
    [to_requester] = inbox.to(requester.email)
    assert _header(to_requester, "Subject") == (
        "[Locaux Communs] Demande de réservation expirée — Salle Usinor"
    )
    assert "elle a expiré et le créneau est libéré" in text_of(to_requester)
    assert _header(to_requester, "Reply-To") == facilities_manager.email
    [to_manager] = inbox.to(facilities_manager.email)
    assert _header(to_manager, "Subject") == (
        "[Locaux Communs] Demande de réservation expirée sans décision — Salle Usinor"
    )
    assert "ne figure plus parmi les demandes à traiter" in text_of(to_manager)
    assert inbox.to(commune_staff.email) == []
    assert not bookings_pending_for(facilities_manager).exists()


def test_a_lapsed_request_is_not_reminded(pending, smtp_inbox):
    bookings_expire_lapsed(now=paris(2027, 1, 14, 9, 30))
    smtp_inbox.deliver().clear()

    assert bookings_send_lapse_reminders(now=DUE) == 0

    pending.refresh_from_db()
    assert pending.status == BookingStatus.LAPSED
    assert smtp_inbox.deliver().messages == []


# --- Two workers at once ---


@pytest.mark.django_db(transaction=True)
def test_two_reminder_jobs_at_once_remind_once(space, requester, facilities_manager):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads cannot share an in-memory SQLite database: set TEST_DATABASE_NAME")
    booking = _book(space, requester)

    outcomes = race([lambda: bookings_send_lapse_reminders(now=DUE)] * 2)

    assert outcomes == Counter({1: 1, 0: 1})
    assert OutboxMail.objects.filter(about=f"booking {booking.pk}, lapse_reminder").count() == 1
