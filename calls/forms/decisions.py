"""Forms of the decisions on applications: accept for a lot, refuse with reasons, record the
deliberation, offer the agreement."""

from datetime import timedelta

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

    field_order = ["start", "last_day", "legal_regime", *AgreementTermsForm.base_fields]
    # People give the last day of occupation (inclusive), as agreements are shown; the models
    # keep an exclusive end, the day after (as bookings/forms/allocations.py does).
    SERVICE_FIELDS = {"end": "last_day", **AgreementTermsForm.SERVICE_FIELDS}

    start = BoundedDateField(label=_("Start"), widget=_DATE)
    last_day = BoundedDateField(
        label=_("Last day"), widget=_DATE, help_text=_("The last day of occupation, included.")
    )
    legal_regime = forms.ChoiceField(label=_("Legal regime"), choices=LegalRegime.choices)

    def terms(self) -> dict:
        values = self.cleaned_data
        return {
            "start": values["start"],
            "end": values["last_day"] + timedelta(days=1),
            "legal_regime": values["legal_regime"],
            **self.money_terms(),
        }
