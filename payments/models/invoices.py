"""Invoices and credit notes, numbered per owner, series and year without gaps."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import MAX_INTEGER, MAX_MONEY_CENTS, bounded
from payments.models.channels import VAT_RATE_VALIDATORS, VatStatus
from payments.models.payments import Payment, Refund


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


# "F-2026-00042", "AV-2026-00003": one series per owner, kind and calendar year.
INVOICE_NUMBER_PREFIXES = {InvoiceKind.INVOICE: "F", InvoiceKind.CREDIT_NOTE: "AV"}


class InvoiceSequence(models.Model):
    """The last number given in one series: an owner's invoices (or credit notes) of one year.

    The service locks this row while it creates an invoice, in the same transaction: two
    invoices never get the same number, and a rollback gives the number back, so a series has
    no gap (invoices must be numbered in one unbroken sequence, CGI art. 242 nonies A).
    """

    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = SingleLineCharField(_("kind"), max_length=12, choices=InvoiceKind)
    year = models.PositiveSmallIntegerField(_("year"), validators=bounded(2000, 2100))
    last_number = models.PositiveIntegerField(
        _("last number given"), default=0, validators=bounded(0, MAX_INTEGER)
    )

    class Meta:
        verbose_name = _("invoice number series")
        verbose_name_plural = _("invoice number series")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "year"], name="invoicesequence_one_per_series"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=InvoiceKind.values), name="invoicesequence_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.kind} {self.year}: {self.last_number}"


class Invoice(models.Model):
    """An invoice for a collected payment, or a credit note for one of its refunds.

    Issued once and never changed: who issued it, the debtor and the VAT position are copied
    at issue, so the PDF printed years later says what the original said. Amounts include all
    taxes (TTC); under VAT, the amount before tax is derived from the rate kept here.
    """

    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="invoices_issued",
    )
    kind = SingleLineCharField(_("kind"), max_length=12, choices=InvoiceKind)
    year = models.PositiveSmallIntegerField(_("year"), validators=bounded(2000, 2100))
    sequence = models.PositiveIntegerField(
        _("number in the series"), validators=bounded(1, MAX_INTEGER)
    )
    number = SingleLineCharField(_("number"), max_length=20)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="invoices"
    )
    refund = models.OneToOneField(
        Refund,
        verbose_name=_("refund"),
        on_delete=models.PROTECT,
        related_name="credit_note",
        null=True,
        blank=True,
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("invoice corrected"),
        on_delete=models.PROTECT,
        related_name="credit_notes",
        null=True,
        blank=True,
    )
    issuer_name = SingleLineCharField(_("issuer"), max_length=200)
    issuer_siret = SingleLineCharField(_("issuer's SIRET"), max_length=14, blank=True)
    issuer_address = SingleLineCharField(_("issuer's address"), max_length=300, blank=True)
    debtor_name = SingleLineCharField(_("debtor"), max_length=200)
    debtor_siret = SingleLineCharField(_("debtor's SIRET"), max_length=14, blank=True)
    debtor_rna = SingleLineCharField(_("debtor's RNA number"), max_length=10, blank=True)
    debtor_address = SingleLineCharField(_("debtor's address"), max_length=300, blank=True)
    description = MultiLineTextField(_("description"))
    amount_cents = models.PositiveIntegerField(
        _("amount incl. taxes (cents)"), validators=bounded(0, MAX_MONEY_CENTS)
    )
    vat_status = SingleLineCharField(_("VAT status"), max_length=20, choices=VatStatus)
    vat_rate_basis_points = models.PositiveIntegerField(
        _("VAT rate (hundredths of a percent)"), validators=VAT_RATE_VALIDATORS
    )
    issued_at = models.DateTimeField(_("issued on"))
    paid = models.BooleanField(_("paid"), default=False)
    paid_at = models.DateTimeField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "year", "sequence"], name="invoice_unique_sequence"
            ),
            models.UniqueConstraint(fields=["owner", "number"], name="invoice_unique_number"),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="invoice"),
                name="invoice_one_per_payment",
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=Q(sequence__gt=0), name="invoice_sequence_positive"),
            models.CheckConstraint(
                condition=Q(kind="invoice", refund__isnull=True, corrects__isnull=True)
                | Q(kind="credit_note", refund__isnull=False, corrects__isnull=False),
                name="invoice_credit_note_has_refund",
            ),
            models.CheckConstraint(
                condition=Q(vat_status__in=VatStatus.values)
                & Q(vat_rate_basis_points__gte=0, vat_rate_basis_points__lte=10_000),
                name="invoice_vat_known",
            ),
            models.CheckConstraint(
                condition=Q(paid=False) | Q(paid_at__isnull=False), name="invoice_paid_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("payments:invoice-pdf", args=[self.pk])

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def shows_vat(self) -> bool:
        """Only an owner subject to VAT prints amounts before tax and the tax itself."""
        return self.vat_status == VatStatus.SUBJECT

    @property
    def amount_excl_vat_cents(self) -> int:
        """The amount before tax: TTC × 10000 / (10000 + rate), rounded half up to the cent."""
        if not self.shows_vat:
            return self.amount_cents
        divisor = 10_000 + self.vat_rate_basis_points
        # Integer arithmetic, so no float rounding: floor((2·a·10000 + d) / 2d) is round-half-up.
        return (2 * self.amount_cents * 10_000 + divisor) // (2 * divisor)

    @property
    def vat_cents(self) -> int:
        """The VAT included in the amount: what is left once the amount before tax is taken."""
        return self.amount_cents - self.amount_excl_vat_cents
