"""E-mails about bookings, in French, sent once the transaction that caused them commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from bookings.models import Booking

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
    transaction.on_commit(lambda: send(booking_id, event, **extra))


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
    send_mail(
        subject=f"[Locaux Communs] {SUBJECTS[event]} — {booking.space.name}",
        message=body,
        from_email=None,
        recipient_list=recipients,
    )
