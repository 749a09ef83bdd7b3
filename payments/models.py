from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from payments.rules import CURRENCY, MAX_AMOUNT_CENTS, OrganisationCategory, TariffUnit


def validate_currency(value: str) -> None:
    if value != CURRENCY:
        raise ValidationError(
            _("Only euros (EUR) are accepted, not %(currency)s."), params={"currency": value}
        )


class Tariff(models.Model):
    """The price of a space for one category of organisation and one unit; 0 means free."""

    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), on_delete=models.CASCADE, related_name="tariffs"
    )
    category = models.CharField(_("category"), max_length=20, choices=OrganisationCategory)
    unit = models.CharField(_("unit"), max_length=10, choices=TariffUnit)
    amount_cents = models.PositiveIntegerField(
        _("amount (cents)"),
        validators=[
            MinValueValidator(0, message=_("A tariff cannot be negative; 0 means free.")),
            MaxValueValidator(
                MAX_AMOUNT_CENTS, message=_("A tariff may not exceed 100,000 €: check the amount.")
            ),
        ],
        help_text=_("In cents of euro: 1250 for 12.50 €. 0 means free."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, default=CURRENCY, validators=[validate_currency]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["space", "category", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "category", "unit"],
                name="tariff_unique_space_category_unit",
                violation_error_message=_(
                    "This space already has a tariff for that category and unit."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0) & Q(amount_cents__lte=MAX_AMOUNT_CENTS),
                name="tariff_amount_in_range",
                violation_error_message=_("A tariff is between 0 and 100,000 €."),
            ),
            models.CheckConstraint(
                condition=Q(currency=CURRENCY),
                name="tariff_currency_eur",
                violation_error_message=_("Only euros (EUR) are accepted."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=OrganisationCategory.values),
                name="tariff_category_known",
            ),
            models.CheckConstraint(
                condition=Q(unit__in=TariffUnit.values), name="tariff_unit_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.category} {self.unit}: {self.amount_cents}"


class ChannelKind(models.TextChoices):
    STRIPE = "stripe", _("Card payment online (Stripe)")
    PUBLIC_ACCOUNTING = "public_accounting", _("Invoice through the public accountant (titre)")
    FREE = "free", _("Free of charge")


class VatStatus(models.TextChoices):
    """The VAT position of the organisation that collects, printed on its invoices."""

    OUTSIDE_SCOPE = "outside_scope", _("Not subject to VAT (art. 256 B of the CGI)")
    EXEMPT = "exempt", _("VAT-exempt (letting of bare premises, art. 261 D 2° of the CGI)")
    FRANCHISE = "franchise", _("VAT not applicable, art. 293 B of the CGI")
    SUBJECT = "subject", _("Subject to VAT")


# "%%": Django %-formats validator and constraint messages with their parameters.
VAT_RATE_VALIDATORS = [
    MinValueValidator(0, message=_("A VAT rate is between 0 and 100 %%.")),
    MaxValueValidator(10_000, message=_("A VAT rate is between 0 and 100 %%.")),
]


class PaymentChannel(models.Model):
    """How the organisation that runs a building collects its fees.

    Stripe keys are stored here so that each owner uses its own Stripe account. In production
    they belong in a secrets store (the column would hold a reference to it); the admin never
    shows them back.
    """

    owner = models.OneToOneField(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="payment_channel",
    )
    kind = models.CharField(_("channel"), max_length=20, choices=ChannelKind)
    stripe_publishable_key = models.CharField(
        _("Stripe publishable key"),
        max_length=255,
        blank=True,
        help_text=_("Starts with pk_; used by the payment page in the requester's browser."),
    )
    stripe_secret_key = models.CharField(_("Stripe secret key"), max_length=255, blank=True)
    stripe_webhook_secret = models.CharField(
        _("Stripe webhook signing secret"), max_length=255, blank=True
    )
    finance_department = models.CharField(
        _("finance department"),
        max_length=200,
        blank=True,
        help_text=_("Who issues the titres de recettes from the exported billing lines."),
    )
    payfip_url = models.URLField(_("PayFiP payment page"), blank=True)
    pay_within_hours = models.PositiveIntegerField(
        _("time to pay after approval (hours)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_(
            "When the card could not be held until the decision, the requester gets a payment "
            "link; the slot is kept this long, then released if unpaid."
        ),
    )
    free_legal_basis = models.TextField(
        _("legal basis of the free use"),
        blank=True,
        help_text=_("E.g. CG3P L2125-1-2, council decision no. … of …"),
    )
    # Amounts charged include all taxes; the status decides what the invoices print.
    vat_status = models.CharField(
        _("VAT status"), max_length=20, choices=VatStatus, default=VatStatus.EXEMPT
    )
    vat_rate_basis_points = models.PositiveIntegerField(
        _("VAT rate (hundredths of a percent)"),
        default=2000,
        validators=VAT_RATE_VALIDATORS,
        help_text=_("Used only when subject to VAT: 2000 for 20 percent, 550 for 5.5 percent."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment channel")
        verbose_name_plural = _("payment channels")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="free") | ~Q(free_legal_basis=""),
                name="paymentchannel_free_needs_legal_basis",
                violation_error_message=_("Record the legal basis of the free use."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ChannelKind.values), name="paymentchannel_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(vat_status__in=VatStatus.values)
                & Q(vat_rate_basis_points__gte=0, vat_rate_basis_points__lte=10_000),
                name="paymentchannel_vat_known",
                violation_error_message=_("A VAT rate is between 0 and 100 %%."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.kind}"

    def clean(self) -> None:
        if self.kind == ChannelKind.FREE and not self.free_legal_basis.strip():
            raise ValidationError(
                {"free_legal_basis": _("Record the legal basis of the free use.")}
            )
        if self.stripe_publishable_key and not self.stripe_publishable_key.startswith("pk_"):
            raise ValidationError(
                {"stripe_publishable_key": _("A Stripe publishable key starts with pk_.")}
            )
        if self.stripe_secret_key and not self.stripe_secret_key.startswith(("sk_", "rk_")):
            raise ValidationError(
                {"stripe_secret_key": _("A Stripe secret key starts with sk_ or rk_.")}
            )
        if self.stripe_webhook_secret and not self.stripe_webhook_secret.startswith("whsec_"):
            raise ValidationError(
                {"stripe_webhook_secret": _("A Stripe webhook secret starts with whsec_.")}
            )

    @property
    def stripe_ready(self) -> bool:
        """Card payments need both keys; without them the channel is simply unavailable."""
        return (
            self.kind == ChannelKind.STRIPE
            and bool(self.stripe_publishable_key)
            and bool(self.stripe_secret_key)
            and bool(self.stripe_webhook_secret)
        )


class PaymentStatus(models.TextChoices):
    REQUIRES_AUTHORISATION = "requires_authorisation", _("Awaiting card payment")
    AUTHORISED = "authorised", _("Card authorised")
    CAPTURED = "captured", _("Paid")
    RELEASED = "released", _("Cancelled, nothing taken")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


class PaymentPurpose(models.TextChoices):
    BOOKING_FEE = "booking_fee", _("Booking fee")
    DEPOSIT = "deposit", _("Deposit (card hold)")
    AGREEMENT_FEE = "agreement_fee", _("Monthly fee of an agreement")


FINAL = frozenset({PaymentStatus.RELEASED, PaymentStatus.REFUNDED, PaymentStatus.FAILED})
# A payment in these states no longer stands for its booking or month: another may be made.
ENDED = ("failed", "released")
# Forward only: a late or repeated webhook that reads an older state changes nothing.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.REQUIRES_AUTHORISATION: frozenset(
        {
            PaymentStatus.AUTHORISED,
            PaymentStatus.CAPTURED,
            PaymentStatus.RELEASED,
            PaymentStatus.FAILED,
        }
    ),
    PaymentStatus.AUTHORISED: frozenset(
        {PaymentStatus.CAPTURED, PaymentStatus.RELEASED, PaymentStatus.FAILED}
    ),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.REFUNDED}),
}


class Payment(models.Model):
    """One attempt to collect money by card: a booking's fee or deposit, or one month of an
    agreement's fee. Saved before any call to Stripe, its id gives the idempotency keys.

    `hold_first`: the card is authorised and captured later (a booking's fee on approval, a
    deposit only if damage is found); otherwise it is charged at once (pay links, monthly fees).
    `due_by`: a pay link's deadline, after which the payment and what it holds are released.
    """

    purpose = models.CharField(
        _("purpose"), max_length=20, choices=PaymentPurpose, default=PaymentPurpose.BOOKING_FEE
    )
    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    allocation = models.ForeignKey(
        "bookings.Allocation",
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to (exclusive)"), null=True, blank=True)
    hold_first = models.BooleanField(_("card held before capture"), default=True)
    due_by = models.DateTimeField(_("to be paid by"), null=True, blank=True)
    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("collected by"),
        on_delete=models.PROTECT,
        related_name="payments_collected",
    )
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY)
    price_rule = models.TextField(_("how the price was computed"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=PaymentStatus,
        default=PaymentStatus.REQUIRES_AUTHORISATION,
    )
    stripe_intent_id = models.CharField(max_length=255, blank=True)
    # What Stripe actually took: the amount, or less when a deposit is kept only in part.
    captured_cents = models.PositiveIntegerField(_("collected (cents)"), default=0)
    refunded_cents = models.PositiveIntegerField(_("refunded (cents)"), default=0)
    failure_message = models.CharField(_("failure"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["stripe_intent_id"], name="payment_intent_idx"),
            models.Index(fields=["status", "created_at"], name="payment_status_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "purpose"],
                condition=~Q(status__in=ENDED),
                name="payment_one_live_per_booking",
            ),
            models.UniqueConstraint(
                fields=["allocation", "period_start"],
                condition=~Q(status__in=ENDED),
                name="payment_one_live_per_agreement_month",
            ),
            models.CheckConstraint(
                condition=(
                    Q(purpose="agreement_fee", booking__isnull=True, allocation__isnull=False)
                    & Q(period_start__isnull=False, period_end__isnull=False)
                )
                | Q(
                    ~Q(purpose="agreement_fee"),
                    booking__isnull=False,
                    allocation__isnull=True,
                ),
                name="payment_for_booking_or_agreement_month",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0) & Q(amount_cents__lte=MAX_AMOUNT_CENTS * 100),
                name="payment_amount_positive",
            ),
            models.CheckConstraint(condition=Q(currency=CURRENCY), name="payment_currency_eur"),
            models.CheckConstraint(
                condition=Q(captured_cents__lte=models.F("amount_cents")),
                name="payment_capture_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=models.F("captured_cents")),
                name="payment_refund_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.status} {self.amount_cents}"

    def get_absolute_url(self) -> str:
        return reverse("payments:payment-detail", args=[self.pk])

    @property
    def payer(self) -> Organisation:
        return self.booking.organisation if self.booking_id else self.allocation.structure

    @property
    def title(self) -> str:
        """What the payment is for, in one line (pages, e-mails, invoices)."""
        if self.purpose == PaymentPurpose.AGREEMENT_FEE:
            return _("Agreement no. %(n)s, fee from %(start)s to %(end)s") % {
                "n": self.allocation_id,
                "start": date_format(self.period_start, "SHORT_DATE_FORMAT"),
                "end": date_format(self.period_end - timedelta(days=1), "SHORT_DATE_FORMAT"),
            }
        label = _("Card deposit") if self.purpose == PaymentPurpose.DEPOSIT else _("Booking")
        return _("%(label)s no. %(n)s — %(space)s") % {
            "label": label,
            "n": self.booking_id,
            "space": self.booking.space.name,
        }

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    def payable_at(self, now: datetime) -> bool:
        """Awaiting payment and, for a booking's pay link, not past its deadline (the slot is
        released then); a month of an agreement stays owed after its deadline."""
        return self.status == PaymentStatus.REQUIRES_AUTHORISATION and (
            self.due_by is None
            or self.due_by >= now
            or self.purpose == PaymentPurpose.AGREEMENT_FEE
        )

    @property
    def refundable_cents(self) -> int:
        return self.captured_cents - self.refunded_cents if self.status in REFUNDABLE else 0


REFUNDABLE = frozenset({PaymentStatus.CAPTURED})


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("In progress")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """One refund of part or all of a captured payment (a cancelled date, the whole booking).

    Saved, under the payment's lock, before Stripe is called: its id gives the idempotency key
    and the sum of refunds not failed can never exceed what was paid, even when two managers
    refund at the same moment.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=RefundStatus, default=RefundStatus.PENDING
    )
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} −{self.amount_cents} {self.status}"


class PaymentLog(models.Model):
    """One row per status change of a payment: from, to, who or which event, why, when."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="log")
    from_status = models.CharField(max_length=24, choices=PaymentStatus, blank=True)
    to_status = models.CharField(max_length=24, choices=PaymentStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stripe_event_id = models.CharField(max_length=255, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment history entry")
        verbose_name_plural = _("payment history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status or '∅'} → {self.to_status}"


class StripeEvent(models.Model):
    """A webhook event received once; Stripe delivers at least once, so the id is unique."""

    stripe_id = models.CharField(max_length=255, unique=True)
    owner = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="stripe_events"
    )
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"


# --- Invoices and credit notes of card payments ---


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
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number given"), default=0)

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
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the series"))
    number = models.CharField(_("number"), max_length=20)
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
    issuer_name = models.CharField(_("issuer"), max_length=200)
    issuer_siret = models.CharField(_("issuer's SIRET"), max_length=14, blank=True)
    issuer_address = models.CharField(_("issuer's address"), max_length=300, blank=True)
    debtor_name = models.CharField(_("debtor"), max_length=200)
    debtor_siret = models.CharField(_("debtor's SIRET"), max_length=14, blank=True)
    debtor_rna = models.CharField(_("debtor's RNA number"), max_length=10, blank=True)
    debtor_address = models.CharField(_("debtor's address"), max_length=300, blank=True)
    description = models.TextField(_("description"))
    amount_cents = models.PositiveIntegerField(_("amount incl. taxes (cents)"))
    vat_status = models.CharField(_("VAT status"), max_length=20, choices=VatStatus)
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
