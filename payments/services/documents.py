"""Invoices and credit notes of card payments: issuing them with gap-free numbers, and their PDF.

An owner's invoices form one unbroken series per calendar year ("F-2026-00042"), its credit
notes another ("AV-2026-00003"), as French invoicing rules require (CGI art. 242 nonies A).
The next number is taken under a lock on the series row (`InvoiceSequence`), in the
transaction that creates the invoice: two issuers never share a number, and a rollback gives
the number back, so no gap appears.

Issuing is idempotent (at most one invoice per payment, one credit note per refund: both are
constraints) and must never break the payment it documents: callers that follow a payment use
the `*_or_log` variants, and the `issue_missing_invoices` command catches up on failures.
"""

import logging
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Organisation
from bookings.agreement import NBSP, date_fr, euros_fr
from core.pdf import render_pdf
from core.workflow import require_atomic
from payments.models import (
    INVOICE_NUMBER_PREFIXES,
    Invoice,
    InvoiceKind,
    InvoiceSequence,
    Payment,
    PaymentChannel,
    PaymentStatus,
    Refund,
    RefundStatus,
    VatStatus,
)
from payments.selectors import payments_without_invoice, refunds_without_credit_note

logger = logging.getLogger(__name__)

# A payment refunded in full was collected first: it keeps (or still needs) its invoice.
INVOICED_STATUSES = (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED)
DEFAULT_VAT_RATE_BASIS_POINTS = 2000


# --- Numbering ---


def invoice_number_take(*, owner: Organisation, kind: str, year: int) -> int:
    """Take the next number of the owner's series for `kind` and `year`, under its row lock.

    Must run inside transaction.atomic(), the one that saves the invoice: the lock is held
    until it commits, and a rollback undoes the increment. On SQLite, IMMEDIATE transactions
    serialise writers instead of the row lock.
    """
    require_atomic()
    # The first number of a series creates its row. ON CONFLICT DO NOTHING (INSERT OR IGNORE
    # on SQLite) makes a concurrent creator wait for the other's commit instead of failing.
    InvoiceSequence.objects.bulk_create(
        [InvoiceSequence(owner=owner, kind=kind, year=year)], ignore_conflicts=True
    )
    series = InvoiceSequence.objects.select_for_update().get(owner=owner, kind=kind, year=year)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series.last_number


def _invoice_create(
    *,
    payment: Payment,
    kind: str,
    amount_cents: int,
    description: str,
    vat_status: str,
    vat_rate_basis_points: int,
    paid_at: datetime,
    refund: Refund | None = None,
    corrects: Invoice | None = None,
) -> Invoice:
    """Number and save one document, copying who issues it and who owes. Inside atomic()."""
    now = timezone.now()
    year = timezone.localtime(now).year
    owner = Organisation.objects.get(pk=payment.owner_id)
    debtor = payment.payer
    sequence = invoice_number_take(owner=owner, kind=kind, year=year)
    invoice = Invoice(
        owner=owner,
        kind=kind,
        year=year,
        sequence=sequence,
        number=f"{INVOICE_NUMBER_PREFIXES[kind]}-{year}-{sequence:05d}",
        payment=payment,
        refund=refund,
        corrects=corrects,
        issuer_name=owner.name,
        issuer_siret=owner.siret,
        issuer_address=owner.address,
        debtor_name=debtor.name,
        debtor_siret=debtor.siret,
        debtor_rna=debtor.rna,
        debtor_address=debtor.address,
        description=description,
        amount_cents=amount_cents,
        vat_status=vat_status,
        vat_rate_basis_points=vat_rate_basis_points,
        issued_at=now,
        paid=True,  # card payments: collected (or refunded) before the document exists
        paid_at=paid_at,
    )
    # Field checks only: the constraints (unique numbers, one invoice per payment) are the
    # database's, under the locks taken above.
    invoice.full_clean(validate_unique=False, validate_constraints=False)
    invoice.save()
    logger.info("Issued %s for payment %s", invoice.number, payment.pk)
    return invoice


# --- Issuing ---


def invoice_issue_for_payment(*, payment: Payment) -> Invoice:
    """The invoice of a collected card payment, issued (as paid) unless it already exists.

    Idempotent: the payment row is locked first, so two callers at once (the capture's
    receiver, a refund, the catch-up command) find the same invoice. The amount is what was
    collected (less than the amount when a deposit is kept in part). Raises ValidationError
    when the payment has collected nothing.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = Invoice.objects.filter(payment=locked, kind=InvoiceKind.INVOICE).first()
        if existing is not None:
            return existing
        if locked.status not in INVOICED_STATUSES or locked.captured_cents <= 0:
            raise ValidationError(_("Only a collected payment has an invoice."))
        channel = PaymentChannel.objects.filter(owner=locked.owner_id).first()
        captured_at = (
            locked.log.filter(to_status=PaymentStatus.CAPTURED)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        with override("fr"):  # a French document, whoever triggered it
            description = str(locked.title)
        return _invoice_create(
            payment=locked,
            kind=InvoiceKind.INVOICE,
            amount_cents=locked.captured_cents,
            description=description,
            vat_status=channel.vat_status if channel else VatStatus.EXEMPT,
            vat_rate_basis_points=(
                channel.vat_rate_basis_points if channel else DEFAULT_VAT_RATE_BASIS_POINTS
            ),
            paid_at=captured_at or timezone.now(),
        )


def credit_note_issue_for_refund(*, refund: Refund) -> Invoice:
    """The credit note of a succeeded refund, issued unless it already exists.

    It corrects the payment's invoice, issued first if missing, and keeps that invoice's VAT
    position (a credit note undoes what the invoice said, even if the owner's status changed
    since). Idempotent under the payment's lock. Raises ValidationError when the refund has
    not succeeded.
    """
    with transaction.atomic():
        invoice = invoice_issue_for_payment(payment=refund.payment)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        existing = Invoice.objects.filter(refund=locked).first()
        if existing is not None:
            return existing
        if locked.status != RefundStatus.SUCCEEDED:
            raise ValidationError(_("Only a completed refund has a credit note."))
        return _invoice_create(
            payment=invoice.payment,
            kind=InvoiceKind.CREDIT_NOTE,
            amount_cents=locked.amount_cents,
            description=invoice.description,
            vat_status=invoice.vat_status,
            vat_rate_basis_points=invoice.vat_rate_basis_points,
            paid_at=timezone.now(),
            refund=locked,
            corrects=invoice,
        )


def invoice_issue_or_log(*, payment: Payment) -> Invoice | None:
    """`invoice_issue_for_payment` that never raises: the payment stands either way.

    Inside a caller's transaction its atomic block is a savepoint, so a failure undoes the
    invoice and its number only. `issue_missing_invoices` tries again later.
    """
    try:
        return invoice_issue_for_payment(payment=payment)
    except Exception:
        logger.exception("The invoice of payment %s could not be issued", payment.pk)
        return None


def credit_note_issue_or_log(*, refund: Refund) -> Invoice | None:
    """`credit_note_issue_for_refund` that never raises: the refund stands either way."""
    try:
        return credit_note_issue_for_refund(refund=refund)
    except Exception:
        logger.exception("The credit note of refund %s could not be issued", refund.pk)
        return None


def invoices_issue_missing() -> tuple[int, int]:
    """Issue the invoices of collected card payments and the credit notes of succeeded refunds
    that have none (their issuing failed at the time). Returns (issued, failed); the log has
    the cause of each failure. Idempotent under each payment's lock (a second run at once
    finds the documents the first issued)."""
    # Invoices first: a credit note needs the invoice it corrects.
    invoices = [invoice_issue_or_log(payment=payment) for payment in payments_without_invoice()]
    credit_notes = [
        credit_note_issue_or_log(refund=refund) for refund in refunds_without_credit_note()
    ]
    attempted = invoices + credit_notes
    issued = sum(document is not None for document in attempted)
    return issued, len(attempted) - issued


# --- The PDF ---


def vat_rate_fr(basis_points: int) -> str:
    """2000 → « 20 % », 550 → « 5,5 % » (French decimal comma, no-break space)."""
    rate = (Decimal(basis_points) / 100).normalize()
    return f"{rate:f}".replace(".", ",") + f"{NBSP}%"


def invoice_title(invoice: Invoice) -> str:
    label = "Avoir" if invoice.is_credit_note else "Facture"
    return f"{label} n° {invoice.number}"


def invoice_filename(invoice: Invoice) -> str:
    """facture-F-2026-00042.pdf: numbers are ASCII, safe in a Content-Disposition header."""
    label = "avoir" if invoice.is_credit_note else "facture"
    return f"{label}-{invoice.number}.pdf"


def invoice_context(invoice: Invoice) -> dict:
    """What the PDF prints, amounts and dates already written the French way."""
    corrects = invoice.corrects
    return {
        "invoice": invoice,
        "title": invoice_title(invoice),
        "issued_on": date_fr(timezone.localdate(invoice.issued_at)),
        "paid_on": date_fr(timezone.localdate(invoice.paid_at)) if invoice.paid_at else "",
        "amount": euros_fr(invoice.amount_cents),
        "amount_excl_vat": euros_fr(invoice.amount_excl_vat_cents),
        "vat": euros_fr(invoice.vat_cents),
        "vat_rate": vat_rate_fr(invoice.vat_rate_basis_points),
        "corrects": corrects,
        "corrects_issued_on": (
            date_fr(timezone.localdate(corrects.issued_at)) if corrects is not None else ""
        ),
        "cancels_in_full": corrects is not None and invoice.amount_cents >= corrects.amount_cents,
        "refund_reason": invoice.refund.reason if invoice.refund_id else "",
        "payment": invoice.payment,
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice or credit note as a tagged PDF (PDF/UA) in French."""
    return render_pdf(
        "pdf/invoice.html",
        invoice_context(invoice),
        title=invoice_title(invoice),
        author=invoice.issuer_name,
    )
