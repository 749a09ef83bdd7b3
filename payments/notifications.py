"""E-mails about payments, in French, sent once the transaction that caused them commits."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Membership
from core.mail import mail_send
from payments.models import Payment
from payments.rules import format_eur

SUBJECTS = {
    "captured": "Paiement reçu",
    "refunded": "Paiement remboursé",
    "pay_link": "Paiement à effectuer",
    "expired": "Paiement non reçu : créneau libéré",
    "deposit_held": "Caution bloquée sur votre carte",
    "deposit_released": "Caution libérée",
    "deposit_kept": "Caution retenue",
}


def on_commit(payment: Payment, event: str, **extra: object) -> None:
    """Send the e-mail for `event` after commit; nothing leaves if the transaction rolls back."""
    payment_id = payment.pk
    # robust: whatever fails after commit is logged; the change is saved and the request
    # must say so (delivery errors are logged by core.mail with what the mail was about).
    transaction.on_commit(lambda: send(payment_id, event, **extra), robust=True)


def payer_emails(payment: Payment) -> list[str]:
    """Who pays: the member who made the booking, else the structure's members."""
    if payment.booking_id:
        return [payment.booking.requested_by.email]
    return list(
        Membership.objects.filter(organisation=payment.allocation.structure_id)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def send(payment_id: int, event: str, **extra: object) -> None:
    payment = Payment.objects.select_related(
        "booking__space", "booking__requested_by", "allocation__structure", "owner"
    ).get(pk=payment_id)
    recipients = payer_emails(payment)
    if not recipients:
        return
    # E-mails are in French, whatever language the person who triggered them was using.
    with translation.override("fr"):
        context = {
            "payment": payment,
            "title": payment.title,
            "amount": format_eur(payment.amount_cents),
            "collected": format_eur(payment.captured_cents),
            "refunded": format_eur(payment.refunded_cents),
            "site_url": settings.SITE_URL,
            **extra,
        }
        body = render_to_string(f"payments/emails/payment_{event}.txt", context)
        subject = f"[Locaux Communs] {SUBJECTS[event]} — {payment.title}"
    mail_send(
        subject=subject, body=body, recipients=recipients, about=f"payment {payment.pk}, {event}"
    )
