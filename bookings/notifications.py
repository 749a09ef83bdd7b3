"""E-mails about bookings, in French, sent once the transaction that caused them commits."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from bookings.models import Booking
from core.mail import mail_send

SUBJECTS = {
    "requested": "Demande de réservation reçue",
    "confirmed": "Réservation confirmée",
    "approved": "Réservation acceptée",
    "refused": "Réservation refusée",
    "cancelled": "Réservation annulée",
    "lapsed": "Demande de réservation expirée",
    "reminder": "Rappel : réservation demain",
    "to_decide": "Nouvelle demande de réservation à traiter",
}


def on_commit(booking: Booking, event: str, **extra: object) -> None:
    """Send the e-mails for `event` after commit; nothing leaves if the transaction rolls back."""
    booking_id = booking.pk
    # robust: whatever fails after commit is logged; the change is saved and the request
    # must say so (delivery errors are logged by core.mail with what the mail was about).
    transaction.on_commit(lambda: send(booking_id, event, **extra), robust=True)


def send(booking_id: int, event: str, **extra: object) -> None:
    booking = Booking.objects.select_related(
        "space", "space__site", "space__site__commune", "organisation", "requested_by"
    ).get(pk=booking_id)
    _mail(booking, event, [booking.requested_by.email], **extra)
    if event == "requested":
        managers = list(booking.space.site.managers.values_list("email", flat=True))
        if managers:
            _mail(booking, "to_decide", managers, **extra)


def _mail(booking: Booking, event: str, recipients: list[str], **extra: object) -> None:
    # E-mails are in French, whatever language the person who triggered them was using.
    with translation.override("fr"):
        context = {"booking": booking, "event": event, "site_url": settings.SITE_URL, **extra}
        body = render_to_string(f"emails/booking_{event}.txt", context)
    mail_send(
        subject=f"[Locaux Communs] {SUBJECTS[event]} — {booking.space.name}",
        body=body,
        recipients=recipients,
        about=f"booking {booking.pk}, {event}",
    )
