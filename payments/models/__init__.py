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
    ENDED,
    FINAL,
    PAYMENT_TRANSITIONS,
    REFUNDABLE,
    Payment,
    PaymentLog,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from payments.models.tariffs import Tariff, validate_currency

__all__ = [
    "ENDED",
    "FINAL",
    "INVOICE_NUMBER_PREFIXES",
    "PAYMENT_TRANSITIONS",
    "REFUNDABLE",
    "VAT_RATE_VALIDATORS",
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
