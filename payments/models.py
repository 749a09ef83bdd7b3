from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
            and bool(self.stripe_secret_key)
            and bool(self.stripe_webhook_secret)
        )


class PaymentStatus(models.TextChoices):
    REQUIRES_AUTHORISATION = "requires_authorisation", _("Awaiting card authorisation")
    AUTHORISED = "authorised", _("Card authorised")
    CAPTURED = "captured", _("Paid")
    RELEASED = "released", _("Authorisation released")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


FINAL = frozenset({PaymentStatus.RELEASED, PaymentStatus.REFUNDED, PaymentStatus.FAILED})
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
    """One attempt to collect a booking's fee by card; saved before any call to Stripe, its id
    gives the idempotency keys. At most one attempt per booking is not failed."""

    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
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
    refunded_cents = models.PositiveIntegerField(_("refunded (cents)"), default=0)
    # Set by whoever starts the refund, in one conditional UPDATE: a second refund stops there.
    refund_claimed_at = models.DateTimeField(null=True, blank=True)
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
                fields=["booking"],
                condition=~Q(status="failed"),
                name="payment_one_live_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0) & Q(amount_cents__lte=MAX_AMOUNT_CENTS * 100),
                name="payment_amount_positive",
            ),
            models.CheckConstraint(condition=Q(currency=CURRENCY), name="payment_currency_eur"),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=models.F("amount_cents")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.status} {self.amount_cents}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


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
