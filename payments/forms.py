"""Forms of payments: paying by card, refunding, keeping a deposit, tariffs of a space, the
payment channel of an organisation."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm
from core.validators import MAX_MONEY_CENTS, validate_single_line
from payments.models import ChannelKind, VatStatus
from payments.rules import MAX_AMOUNT_CENTS, OrganisationCategory, TariffUnit

# Ids of what Stripe.js creates in the browser: PaymentMethods (pm_), or the card of a token
# (card_) with localstripe's stand-in for Stripe.js in tests.
PAYMENT_METHOD_PATTERN = r"^(pm|card)_[A-Za-z0-9_]{1,200}$"


class PayForm(AccessibleForm):
    """The card itself never reaches us: Stripe.js turns it into a payment method id."""

    payment_method = forms.RegexField(
        regex=PAYMENT_METHOD_PATTERN,
        widget=forms.HiddenInput,
        validators=[validate_single_line],
        error_messages={
            "required": _("The card details did not reach the payment service; try again."),
            "invalid": _("The card details did not reach the payment service; try again."),
        },
    )


class EurosField(forms.DecimalField):
    """An amount in euros typed with a comma or a dot ("12,50", "12.50", "1 200 €"), whatever
    the page's language: a localized DecimalField would read "12,50" as 1250 in English."""

    widget = forms.TextInput  # a number input refuses the comma in some browsers

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", Decimal(MAX_MONEY_CENTS) / 100)
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_python(self, value: object) -> Decimal | None:
        if isinstance(value, str):
            for space in (" ", "\u00a0", "\u202f", "€"):
                value = value.replace(space, "")
            value = value.replace(",", ".")
        return super().to_python(value)


class RefundForm(AccessibleForm):
    amount = EurosField(
        label=_("Amount to refund (€)"),
        help_text=_("In euros, e.g. 12,50. At most what is left to refund."),
    )
    reason = MultiLineFormField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the payment's history and sent to the payer."),
    )

    @property
    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


# --- Deposits ---


class DepositKeepForm(AccessibleForm):
    """How much of a held deposit the manager keeps, and why (sent to the payer)."""

    amount = EurosField(label=_("Amount kept (€)"))
    reason = MultiLineFormField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Damage found, key not returned…: kept in the history and sent to the payer."),
    )

    def __init__(self, *args: object, held_cents: int, **kwargs: object) -> None:
        from payments.rules import format_eur

        kwargs.setdefault("auto_id", "id_deposit_keep_%s")  # the payment page has other forms
        super().__init__(*args, **kwargs)
        self.held_cents = held_cents
        self.held_label = format_eur(held_cents)
        self.fields["amount"].help_text = _(
            "In euros, e.g. 12,50. At most the %(held)s held; the rest is released."
        ) % {"held": self.held_label}
        # The bound field was made (and its help text copied) by the mixin's __init__.
        self["amount"].help_text = self.fields["amount"].help_text
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
    reason = MultiLineFormField(
        label=_("Reason (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history and sent to the payer."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "id_deposit_release_%s")  # the payment page has other forms
        super().__init__(*args, **kwargs)


# --- Tariffs ---


class DepositAmountForm(AccessibleForm):
    """The deposit a space asks, in euros (0 or empty: none)."""

    deposit = EurosField(
        label=_("Deposit (€)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal(100_000),
        help_text=_(
            "Held on the requester's card shortly before each booking and released after it "
            "unless damage is found. 0 or empty: no deposit."
        ),
    )

    @property
    def amount_cents(self) -> int:
        amount = self.cleaned_data.get("deposit")
        return int(amount * 100) if amount else 0


class TariffGridForm(AccessibleForm):
    """One field per category of organisation and unit: blank, no tariff for that unit;
    0, free. Amounts in euros."""

    def __init__(self, *args: object, current: dict[tuple[str, str], int], **kwargs: object):
        super().__init__(*args, **kwargs)
        for category in OrganisationCategory:
            for unit in TariffUnit:
                cents = current.get((category.value, unit.value))
                field = EurosField(
                    label=f"{category.label} — {unit.label} (€)",
                    required=False,
                    min_value=Decimal("0"),
                    max_value=Decimal(MAX_AMOUNT_CENTS) / 100,
                    initial=None if cents is None else Decimal(cents) / 100,
                )
                field.widget.attrs.update(inputmode="decimal", autocomplete="off", size=8)
                self.fields[self.field_name(category.value, unit.value)] = field
        self._set_aria()

    @staticmethod
    def field_name(category: str, unit: str) -> str:
        return f"{category}__{unit}"

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields as a table: one row per category, one column per unit."""
        return [
            (
                category.label,
                [self[self.field_name(category.value, unit.value)] for unit in TariffUnit],
            )
            for category in OrganisationCategory
        ]

    @property
    def grid(self) -> dict[tuple[str, str], int | None]:
        return {
            (category.value, unit.value): (
                None
                if self.cleaned_data[self.field_name(category.value, unit.value)] is None
                else int(self.cleaned_data[self.field_name(category.value, unit.value)] * 100)
            )
            for category in OrganisationCategory
            for unit in TariffUnit
        }


class ChannelForm(AccessibleForm):
    """How an organisation collects its fees. The Stripe secrets are write-only: the fields
    start empty (never filled with what is stored) and an empty field keeps the secret."""

    kind = forms.ChoiceField(label=_("Payment channel"), choices=ChannelKind.choices)
    stripe_publishable_key = SingleLineFormField(
        label=_("Stripe publishable key"),
        max_length=255,
        required=False,
        help_text=_("Starts with pk_; used by the payment page in the requester's browser."),
    )
    stripe_secret_key = forms.CharField(
        label=_("Stripe secret key"),
        max_length=255,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Starts with sk_ or rk_. Leave empty to keep the key already entered."),
    )
    stripe_webhook_secret = forms.CharField(
        label=_("Stripe webhook signing secret"),
        max_length=255,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Starts with whsec_. Leave empty to keep the secret already entered."),
    )
    finance_department = SingleLineFormField(
        label=_("Who issues the invoices"),
        max_length=200,
        required=False,
        help_text=_(
            "The finance department (titres de recettes) of a public body, or whoever invoices "
            "for the organisation. For a card channel, filling it in means its fees are invoiced "
            "while cards cannot be taken."
        ),
    )
    payfip_url = forms.URLField(
        label=_("PayFiP payment page"),
        required=False,
        assume_scheme="https",
        validators=[validate_single_line],
    )
    pay_within_hours = forms.IntegerField(
        label=_("Time to pay after approval (hours)"), min_value=1, max_value=24 * 14, initial=48
    )
    free_legal_basis = MultiLineFormField(
        label=_("Legal basis of the free use"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. CG3P L2125-1-2, council decision no. … of …"),
    )
    vat_status = forms.ChoiceField(label=_("VAT status"), choices=VatStatus.choices)

    KEY_PREFIXES = {
        "stripe_publishable_key": (("pk_",), _("A Stripe publishable key starts with pk_.")),
        "stripe_secret_key": (("sk_", "rk_"), _("A Stripe secret key starts with sk_ or rk_.")),
        "stripe_webhook_secret": (
            ("whsec_",),
            _("A Stripe webhook secret starts with whsec_."),
        ),
    }

    def clean(self) -> dict:
        data = super().clean()
        for name, (prefixes, message) in self.KEY_PREFIXES.items():
            value = data.get(name) or ""
            if value and (not value.startswith(prefixes) or any(c.isspace() for c in value)):
                self.add_error(name, message)
        return data

    @property
    def fields_for_service(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        data.pop("kind")
        data["payfip_url"] = data.get("payfip_url") or ""
        return data
