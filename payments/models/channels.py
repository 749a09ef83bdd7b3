"""How each owner collects its fees (card, public accountant, free) and its VAT status."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField, SingleLineURLField
from core.history import history


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


SECRET_FIELDS = ["stripe_secret_key", "stripe_webhook_secret"]


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
    kind = SingleLineCharField(_("channel"), max_length=20, choices=ChannelKind)
    stripe_publishable_key = SingleLineCharField(
        _("Stripe publishable key"),
        max_length=255,
        blank=True,
        help_text=_("Starts with pk_; used by the payment page in the requester's browser."),
    )
    stripe_secret_key = SingleLineCharField(_("Stripe secret key"), max_length=255, blank=True)
    stripe_webhook_secret = SingleLineCharField(
        _("Stripe webhook signing secret"), max_length=255, blank=True
    )
    finance_department = SingleLineCharField(
        _("finance department"),
        max_length=200,
        blank=True,
        help_text=_("Who issues the titres de recettes from the exported billing lines."),
    )
    payfip_url = SingleLineURLField(_("PayFiP payment page"), blank=True)
    pay_within_hours = models.PositiveIntegerField(
        _("time to pay after approval (hours)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_(
            "When the card could not be held until the decision, the requester gets a payment "
            "link; the slot is kept this long, then released if unpaid."
        ),
    )
    free_legal_basis = MultiLineTextField(
        _("legal basis of the free use"),
        blank=True,
        help_text=_("E.g. CG3P L2125-1-2, council decision no. … of …"),
    )
    # Amounts charged include all taxes; the status decides what the invoices print.
    vat_status = SingleLineCharField(
        _("VAT status"), max_length=20, choices=VatStatus, default=VatStatus.EXEMPT
    )
    vat_rate_basis_points = models.PositiveIntegerField(
        _("VAT rate (hundredths of a percent)"),
        default=2000,
        validators=VAT_RATE_VALIDATORS,
        help_text=_("Used only when subject to VAT: 2000 for 20 percent, 550 for 5.5 percent."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("A deactivated channel collects nothing: its fees are stated, not taken."),
    )
    # When the secret key and the webhook secret were last entered (they are never shown back).
    stripe_secret_key_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    stripe_webhook_secret_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The Stripe secrets never enter the history: a history row is read by more people, kept
    # longer and never rotated.
    history = history(excluded_fields=SECRET_FIELDS)

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
            and self.is_active
            and bool(self.stripe_publishable_key)
            and bool(self.stripe_secret_key)
            and bool(self.stripe_webhook_secret)
        )
