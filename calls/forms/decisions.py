"""Forms of the decisions on applications: accept for a lot, refuse with reasons, record the deliberation, offer the agreement."""

from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from bookings.models import FreeUseBasis, LegalRegime
from calls.forms.calls import lot_label
from calls.models import CallLot
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from core.validators import MAX_MONEY_CENTS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_SHORT_TEXT = forms.Textarea(attrs={"rows": 3})


class AcceptForm(AccessibleForm):
    lot = forms.ModelChoiceField(
        label=_("Lot given"), queryset=CallLot.objects.none(), empty_label=None
    )

    def __init__(self, *args, lots: QuerySet[CallLot], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots.select_related("space__site__commune")
        self.fields["lot"].label_from_instance = lot_label


class RefuseForm(AccessibleForm):
    reason = MultiLineFormField(
        label=_("Reasons of the refusal"),
        widget=_SHORT_TEXT,
        help_text=_(
            "Sent to the applicant. Base them on the published criteria, the good administration "
            "of the property or public order."
        ),
    )


class DecideForm(AccessibleForm):
    deliberation_reference = SingleLineFormField(
        label=_("Decision number"),
        max_length=100,
        help_text=_("Number of the council decision or of the order."),
    )
    deliberation_date = BoundedDateField(label=_("Decision date"), widget=_DATE)


def _cents(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


class AgreementForm(AccessibleForm):
    """The terms of the occupancy agreement offered to an accepted applicant; amounts in €."""

    start = BoundedDateField(label=_("Start"), widget=_DATE)
    end = BoundedDateField(
        label=_("End"), widget=_DATE, help_text=_("First day after the occupation.")
    )
    legal_regime = forms.ChoiceField(label=_("Legal regime"), choices=LegalRegime.choices)
    annual_fee = forms.DecimalField(
        label=_("Annual fee (€)"),
        min_value=0,
        max_value=Decimal(MAX_MONEY_CENTS) / 100,
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty or 0 for free use, then give its legal basis."),
    )
    free_use_basis = forms.ChoiceField(
        label=_("Legal basis of free use"), choices=FreeUseBasis.choices, required=False
    )
    free_use_reference = SingleLineFormField(
        label=_("Deliberation or justification"),
        max_length=200,
        required=False,
        help_text=_("E.g. municipal council decision no. 2027-045 of 12 March 2027."),
    )
    deposit = forms.DecimalField(
        label=_("Deposit (€)"),
        min_value=0,
        max_value=Decimal(MAX_MONEY_CENTS) / 100,
        max_digits=10,
        decimal_places=2,
        required=False,
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["annual_fee_cents"] = _cents(cleaned.get("annual_fee"))
        cleaned["deposit_cents"] = _cents(cleaned.get("deposit"))
        return cleaned

    def terms(self) -> dict:
        values = self.cleaned_data
        return {
            "start": values["start"],
            "end": values["end"],
            "legal_regime": values["legal_regime"],
            "annual_fee_cents": values["annual_fee_cents"],
            "free_use_basis": values["free_use_basis"],
            "free_use_reference": values["free_use_reference"],
            "deposit_cents": values["deposit_cents"],
        }
