"""E-mails about bookings, in French, written to the outbox in the transaction that causes them
(core/mail.py): they leave after commit, and only if it commits."""

from django.conf import settings
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


def notify(booking: Booking, event: str, **extra: object) -> None:
    """Queue the e-mails for `event`. Call it in the transaction of the change it reports."""
    booking = Booking.objects.select_related(
        "space", "space__site", "space__site__commune", "organisation", "requested_by"
    ).get(pk=booking.pk)
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
