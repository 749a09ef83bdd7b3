"""Invoices follow payments: a payment that reaches "captured" gets its invoice.

`payment_status_changed` is sent after the payment's transaction committed, so a failure here
cannot undo the payment: it is logged, and `issue_missing_invoices` issues the invoice later.
Credit notes are issued by `payment_refund` itself, in the transaction that marks the refund
succeeded (a Refund row has no signal of its own).
"""

from django.dispatch import receiver

from payments.models import Payment, PaymentStatus
from payments.services import documents
from payments.signals import payment_status_changed


@receiver(payment_status_changed, dispatch_uid="payments_invoice_on_capture")
def invoice_on_capture(
    sender: type, payment_id: int, from_status: str, to_status: str, **kwargs: object
) -> None:
    """Issue the invoice of a payment just collected (idempotent: a repeated signal finds it)."""
    if to_status != PaymentStatus.CAPTURED:
        return
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None:
        documents.invoice_issue_or_log(payment=payment)
