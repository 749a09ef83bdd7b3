"""Forms of the decisions on applications: accept for a lot, refuse with reasons, record the
deliberation, offer the agreement."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from bookings.forms import AgreementTermsForm
from bookings.models import LegalRegime
from calls.forms.calls import lot_label
from calls.models import CallLot
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField

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


class AgreementForm(AgreementTermsForm):
    """The terms of the occupancy agreement offered to an accepted applicant; amounts in €."""

    field_order = ["start", "end", "legal_regime", *AgreementTermsForm.base_fields]

    start = BoundedDateField(label=_("Start"), widget=_DATE)
    end = BoundedDateField(
        label=_("End"), widget=_DATE, help_text=_("First day after the occupation.")
    )
    legal_regime = forms.ChoiceField(label=_("Legal regime"), choices=LegalRegime.choices)

    def terms(self) -> dict:
        values = self.cleaned_data
        return {
            "start": values["start"],
            "end": values["end"],
            "legal_regime": values["legal_regime"],
            **self.money_terms(),
        }
