from datetime import timedelta

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
        label = _("Deposit") if self.purpose == PaymentPurpose.DEPOSIT else _("Booking")
        return _("%(label)s no. %(n)s — %(space)s") % {
            "label": label,
            "n": self.booking_id,
            "space": self.booking.space.name,
        }

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

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
