"""Forms of payments: paying by card, refunding, keeping a deposit."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm

# Ids of what Stripe.js creates in the browser: PaymentMethods (pm_), or the card of a token
# (card_) with localstripe's stand-in for Stripe.js in tests.
PAYMENT_METHOD_PATTERN = r"^(pm|card)_[A-Za-z0-9_]{1,200}$"


class PayForm(AccessibleForm):
    """The card itself never reaches us: Stripe.js turns it into a payment method id."""

    payment_method = forms.RegexField(
        regex=PAYMENT_METHOD_PATTERN,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("The card details did not reach the payment service; try again."),
            "invalid": _("The card details did not reach the payment service; try again."),
        },
    )


def euros_field(label: str, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        localize=True,
        help_text=help_text,
    )


class RefundForm(AccessibleForm):
    amount = euros_field(
        _("Amount to refund (€)"), _("In euros, e.g. 12,50. At most what is left to refund.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the payment's history and sent to the payer."),
    )

    @property
    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


# --- Deposits ---


class EurosField(forms.DecimalField):
    """An amount in euros typed with a comma or a dot ("12,50", "12.50", "1 200 €"), whatever
    the page's language: a localized DecimalField would read "12,50" as 1250 in English."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_python(self, value: object) -> Decimal | None:
        if isinstance(value, str):
            for space in (" ", "\u00a0", "\u202f", "€"):
                value = value.replace(space, "")
            value = value.replace(",", ".")
        return super().to_python(value)


class DepositKeepForm(AccessibleForm):
    """How much of a held deposit the manager keeps, and why (sent to the payer)."""

    amount = EurosField(label=_("Amount kept (€)"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Damage found, key not returned…: kept in the history and sent to the payer."),
    )

    def __init__(self, *args: object, held_cents: int, **kwargs: object) -> None:
        from payments.rules import format_eur

        super().__init__(*args, **kwargs)
        self.held_cents = held_cents
        self.held_label = format_eur(held_cents)
        self.fields["amount"].help_text = _(
            "In euros, e.g. 12,50. At most the %(held)s held; the rest is released."
        ) % {"held": self.held_label}
        self.fields["amount"].widget.attrs.update(inputmode="decimal", autocomplete="off")
        self._set_aria()

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount * 100 > self.held_cents:
            raise forms.ValidationError(
                _("At most the %(held)s held can be kept."), params={"held": self.held_label}
            )
        return amount

    @property
    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


class DepositReleaseForm(AccessibleForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history and sent to the payer."),
    )
