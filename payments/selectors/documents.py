"""Reads of invoices and credit notes: those the user may see, those whose issuing failed."""

from django.db.models import QuerySet

from accounts.selectors import AnyUser
from payments.models import (
    Invoice,
    InvoiceKind,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.selectors.payments import payments_visible_to


def invoices_visible_to(user: AnyUser) -> QuerySet[Invoice]:
    """Invoices and credit notes of the payments the user may see: the payer's members, the
    collector's, the intercommunality."""
    return Invoice.objects.filter(payment__in=payments_visible_to(user).values("pk"))


def payments_without_invoice() -> QuerySet[Payment]:
    """Collected card payments whose invoice is missing (its issuing failed)."""
    return (
        Payment.objects.filter(
            status__in=[PaymentStatus.CAPTURED, PaymentStatus.REFUNDED], captured_cents__gt=0
        )
        .exclude(invoices__kind=InvoiceKind.INVOICE)
        .order_by("pk")
    )


def refunds_without_credit_note() -> QuerySet[Refund]:
    """Succeeded refunds whose credit note is missing."""
    return Refund.objects.filter(status=RefundStatus.SUCCEEDED, credit_note__isnull=True).order_by(
        "pk"
    )
