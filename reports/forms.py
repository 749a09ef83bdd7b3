from datetime import timedelta
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from core.fields import SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from core.validators import MAX_MONEY_CENTS
from reports.models import FIRST_YEAR, LAST_YEAR
from reports.selectors.occupancy import MAX_PERIOD_DAYS


class YearForm(AccessibleForm):
    annee = forms.IntegerField(label=_("Financial year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)


class BillingPeriodForm(AccessibleForm):
    """The period of a public-accounting export: dates of the billed bookings, both included."""

    debut = BoundedDateField(label=_("From"))
    fin = BoundedDateField(label=_("To"))

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("debut"), cleaned.get("fin")
        if first and last and not first <= last < first + timedelta(days=366):
            raise forms.ValidationError(
                _("The end comes after the start, and the period is one year at most.")
            )
        return cleaned


class StructureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} — SIRET {obj.siret}" if obj.siret else obj.name


class CashSubsidyForm(AccessibleForm):
    structure = StructureChoiceField(
        label=_("Structure"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.ESS).order_by("name"),
    )
    granted_by = forms.ModelChoiceField(label=_("Granted by"), queryset=Organisation.objects.none())
    year = forms.IntegerField(label=_("Financial year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    amount = forms.DecimalField(
        label=_("Amount (€)"),
        min_value=Decimal("0.01"),
        max_value=Decimal(MAX_MONEY_CENTS) / 100,
        max_digits=12,
        decimal_places=2,
        help_text=_("In euros, e.g. 1500.00"),
    )
    label = SingleLineFormField(label=_("Purpose"), max_length=200)
    decision_reference = SingleLineFormField(
        label=_("Decision reference"),
        max_length=100,
        required=False,
        help_text=_("E.g. municipal council decision no. 2027-045 of 12 March 2027."),
    )

    def __init__(self, *args, grantors: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["granted_by"].queryset = grantors.order_by("name")
        if grantors.count() == 1:
            self.fields["granted_by"].initial = grantors.first()

    @property
    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


class ObservatoryPeriodForm(AccessibleForm):
    """The period of an observatory dashboard: first and last day, both included, five years at
    most (a longer period is refused with a message, not computed)."""

    debut = BoundedDateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    fin = BoundedDateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("debut"), cleaned.get("fin")
        if first and last:
            if last < first:
                self.add_error("fin", _("The last day must be on or after the first day."))
            elif (last - first).days >= MAX_PERIOD_DAYS:
                self.add_error("fin", _("The period may last five years at most."))
        return cleaned
