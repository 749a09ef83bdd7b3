"""Mail through the outbox with a real SMTP situation (issue 9 §7, issue 11): a mail server that
is down never turns a saved booking into an error page (the message waits in the outbox), and a
newline in a space's name never breaks a subject. The server is real: a closed port on
127.0.0.1, then aiosmtpd. Without a broker the delivery job runs in-process after commit."""

import logging

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from bookings.models import Booking, BookingStatus
from core.mail import SUBJECT_MAX_LENGTH, mail_subject
from core.models import MailStatus, OutboxMail
from spaces.models import Space
from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory
from tests.stack.smtp import free_port, smtp_server

SLOT_FORM = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00"}
SLOT_API = {"start": "2027-01-12T18:00:00+01:00", "end": "2027-01-12T20:00:00+01:00"}


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def requester(db):
    organisation = VerifiedStructureFactory(name="Les Amis du Vélo")
    return MembershipFactory(
        organisation=organisation, user=UserFactory(email="asso@example.test")
    ).user


def _smtp_to(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10


@pytest.fixture
def mail_server_down(settings):
    """SMTP pointed at a port of 127.0.0.1 where nothing listens (the connection is refused)."""
    port = free_port()
    _smtp_to(settings, port)
    return port


@pytest.fixture
def inbox(settings):
    with smtp_server() as (handler, port):
        _smtp_to(settings, port)
        yield handler


def _form(user) -> dict:
    organisation = user.memberships.get().organisation
    return {
        "organisation": organisation.pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "frequency": "once",
        **SLOT_FORM,
    }


def _api_body(space, user) -> dict:
    return {
        "space": space.pk,
        "organisation": user.memberships.get().organisation_id,
        "purpose": "Assemblée générale",
        "attendees": 12,
        **SLOT_API,
    }


def _delivery_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "core.mail" and r.levelno == logging.WARNING]


def _waiting() -> list[tuple[str, str, int, str]]:
    return [
        (row.about, row.status, row.attempts, row.last_error.split(":")[0])
        for row in OutboxMail.objects.order_by("pk")
    ]


# transaction=True: the on_commit hooks then run inside the request, as in production.


@pytest.mark.django_db(transaction=True)
def test_a_booking_requested_on_the_page_is_saved_and_said_saved_when_the_mail_server_is_down(
    client, space, facilities_manager, requester, mail_server_down, caplog
):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]), _form(requester), follow=True
    )

    booking = Booking.objects.get()
    assert response.status_code == 200
    assert response.redirect_chain == [(booking.get_absolute_url(), 302)]
    assert "Votre demande a été envoyée au gestionnaire" in response.text
    # The requester's acknowledgement and the managers' notice wait in the outbox, logged.
    assert _waiting() == [
        (f"booking {booking.pk}, requested", MailStatus.PENDING, 1, "ConnectionRefusedError"),
        (f"booking {booking.pk}, to_decide", MailStatus.PENDING, 1, "ConnectionRefusedError"),
    ]
    assert len(_delivery_warnings(caplog)) == 2


@pytest.mark.django_db(transaction=True)
def test_a_booking_requested_and_cancelled_through_the_api_answers_saved_when_mail_is_down(
    client, space, requester, mail_server_down, caplog
):
    client.force_login(requester)

    created = client.post(
        reverse("api:booking-list"), _api_body(space, requester), content_type="application/json"
    )
    booking = Booking.objects.get()
    cancelled = client.post(
        reverse("api:booking-cancel", args=[booking.pk]),
        {"reason": "Empêchement"},
        content_type="application/json",
    )

    assert created.status_code == 201
    assert cancelled.status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert [(about, status) for about, status, _, _ in _waiting()] == [
        (f"booking {booking.pk}, requested", MailStatus.PENDING),
        (f"booking {booking.pk}, cancelled", MailStatus.PENDING),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_space_named_with_a_newline_gets_a_one_line_subject_from_a_real_server(
    client, space, requester, inbox
):
    # Written as data already in the database would be, past any form or model validation.
    Space.objects.filter(pk=space.pk).update(name="Salle\r\nUsinor\tBcc: victim@example.test")
    client.force_login(requester)

    response = client.post(reverse("bookings:booking-create", args=[space.pk]), _form(requester))

    assert response.status_code == 302
    [message] = inbox.messages
    assert message["To"] == "asso@example.test"
    assert message["Bcc"] is None
    assert str(message["Subject"]).strip() == (
        "[Locaux Communs] Demande de réservation reçue — Salle Usinor Bcc: victim@example.test"
    )


@pytest.mark.django_db(transaction=True)
def test_mail_sent_again_once_the_server_is_back(
    client, space, requester, mail_server_down, settings
):
    """Down for the request, back for the cancellation: the second mail arrives."""
    client.force_login(requester)
    client.post(reverse("bookings:booking-create", args=[space.pk]), _form(requester))
    booking = Booking.objects.get()
    with smtp_server() as (handler, port):
        _smtp_to(settings, port)
        response = client.post(
            reverse("bookings:booking-cancel", args=[booking.pk]),
            {"reason": "Empêchement", "confirm": "yes"},
        )

    assert response.status_code == 302
    assert [str(m["Subject"]).strip() for m in handler.messages] == [
        f"[Locaux Communs] Réservation annulée — {space.name}"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Salle\nUsinor", "Salle Usinor"),
        ("  a\r\n\t b\x00c\x85d\u2028e\u200bf  ", "a b c d e f"),
        ("Réunion — « AG »", "Réunion — « AG »"),
    ],
)
def test_mail_subject_collapses_whitespace_and_control_characters(raw, expected):
    assert mail_subject(raw) == expected


def test_mail_subject_is_cut_with_an_ellipsis():
    subject = mail_subject("x" * 500)

    assert len(subject) == SUBJECT_MAX_LENGTH
    assert subject.endswith("…")


def test_the_error_page_never_claims_nothing_was_saved():
    page = render_to_string("500.html")

    assert "Rien n" not in page
    assert "a pu être enregistrée, ou non" in page
    assert "vérifiez" in page
