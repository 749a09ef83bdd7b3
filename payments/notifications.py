"""E-mails about payments, in French, written to the outbox in the transaction that causes them
(core/mail.py): they leave after commit, and only if it commits."""

from django.conf import settings
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


def payer_emails(payment: Payment) -> list[str]:
    """Who pays: the member who made the booking, else the structure's members."""
    if payment.booking_id:
        return [payment.booking.requested_by.email]
    return list(
        Membership.objects.filter(organisation=payment.allocation.structure_id)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def notify(payment: Payment, event: str, **extra: object) -> None:
    """Queue the e-mail for `event` to the payer. Call it in the transaction of the change it
    reports."""
    payment = Payment.objects.select_related(
        "booking__space", "booking__requested_by", "allocation__structure", "owner"
    ).get(pk=payment.pk)
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
