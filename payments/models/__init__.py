"""Models of payments, one module per aggregate: tariffs, channels (how owners collect),
payments (card payments, refunds, history, Stripe events), invoices."""

from payments.models.channels import VAT_RATE_VALIDATORS, ChannelKind, PaymentChannel, VatStatus
from payments.models.invoices import (
    INVOICE_NUMBER_PREFIXES,
    Invoice,
    InvoiceKind,
    InvoiceSequence,
)
from payments.models.payments import (
    BOOKING_CHARGES,
    ENDED,
    FINAL,
    PAYMENT_TRANSITIONS,
    REFUNDABLE,
    UNPAID,
    Payment,
    PaymentLog,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from payments.models.supplements import BillingSupplement, BillingSupplementStatus
from payments.models.tariffs import Tariff, validate_currency

__all__ = [
    "BOOKING_CHARGES",
    "ENDED",
    "FINAL",
    "INVOICE_NUMBER_PREFIXES",
    "PAYMENT_TRANSITIONS",
    "REFUNDABLE",
    "UNPAID",
    "VAT_RATE_VALIDATORS",
    "BillingSupplement",
    "BillingSupplementStatus",
    "ChannelKind",
    "Invoice",
    "InvoiceKind",
    "InvoiceSequence",
    "Payment",
    "PaymentChannel",
    "PaymentLog",
    "PaymentPurpose",
    "PaymentStatus",
    "Refund",
    "RefundStatus",
    "StripeEvent",
    "Tariff",
    "VatStatus",
    "validate_currency",
]
