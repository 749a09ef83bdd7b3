"""Forms of the occupancy agreement pages. They only collect values: the services in
bookings/allocations/ decide (the API reaches the same services).

Dates are shown as the last day of occupation; the models keep an exclusive end (the day after).
Amounts are typed in euros and handed to the services in cents.
"""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from bookings.models import FreeUseBasis, InventoryKind, LegalRegime
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from core.text import square_metres
from core.validators import MAX_MONEY_CENTS
from spaces.models import Space, Weekday

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_EUROS = {
    "min_value": Decimal(0),
    "max_value": Decimal(MAX_MONEY_CENTS) / 100,
    "max_digits": 10,
    "decimal_places": 2,
}


def euros_to_cents(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


class SpaceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Space) -> str:
        return _("%(space)s — %(site)s (%(surface)s)") % {
            "space": obj.name,
            "site": obj.site.name,
            "surface": square_metres(obj.surface_m2),
        }


class AgreementTermsForm(AccessibleForm):
    """The money terms of an occupancy agreement: its annual fee, the legal basis of a free use,
    its deposit. Shared by the direct agreement (`AllocationCreateForm`) and the agreement
    offered after a call (`calls.forms.AgreementForm`), so both ask the same way; the service
    checks them (`bookings.allocations.allocation_offer`).

    Amounts are typed in euros; `clean()` adds them in cents as the service takes them. A
    subclass puts these fields among its own with `field_order`.
    """

    # The service's names of these terms → the form's fields, where they differ.
    SERVICE_FIELDS = {"annual_fee_cents": "annual_fee", "deposit_cents": "deposit"}

    annual_fee = forms.DecimalField(
        label=_("Annual fee (€)"),
        required=False,
        help_text=_("Leave empty or 0 for free use, then give its legal basis."),
        **_EUROS,
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
    deposit = forms.DecimalField(label=_("Deposit (€)"), required=False, **_EUROS)

    def clean(self) -> dict:
        data = super().clean()
        data["annual_fee_cents"] = euros_to_cents(data.get("annual_fee"))
        data["deposit_cents"] = euros_to_cents(data.get("deposit"))
        return data

    def money_terms(self) -> dict:
        """The terms as the service takes them (after `is_valid()`)."""
        values = self.cleaned_data
        return {
            "annual_fee_cents": values["annual_fee_cents"],
            "free_use_basis": values["free_use_basis"],
            "free_use_reference": values["free_use_reference"],
            "deposit_cents": values["deposit_cents"],
        }


class AllocationCreateForm(AgreementTermsForm):
    """A direct agreement, without a call for applications: the manager says why."""

    field_order = [
        "spaces",
        "structure",
        "start",
        "last_day",
        "legal_regime",
        *AgreementTermsForm.base_fields,
        "direct_reason",
    ]

    spaces = SpaceChoiceField(
        label=_("Spaces"),
        queryset=Space.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Spaces of one owner that you manage and that are offered long-term."),
    )
    structure = forms.ModelChoiceField(
        label=_("Structure"),
        queryset=Organisation.objects.none(),
        help_text=_("Only ESS structures verified by the intercommunality are listed."),
    )
    start = BoundedDateField(label=_("First day"), widget=_DATE)
    last_day = BoundedDateField(label=_("Last day"), widget=_DATE)
    legal_regime = forms.ChoiceField(
        label=_("Legal regime"),
        choices=[("", _("According to the domain of the building")), *LegalRegime.choices],
        required=False,
    )
    direct_reason = MultiLineFormField(
        label=_("Why without a call for applications"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The law requires a prior selection for an economic occupation, except in some "
            "cases (CG3P L2122-1-2 and L2122-1-3): urgency, only one possible occupant, short "
            "occupation…"
        ),
    )

    def __init__(
        self,
        *args: object,
        spaces: QuerySet[Space],
        structures: QuerySet[Organisation],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["spaces"].queryset = spaces
        self.fields["structure"].queryset = structures

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("last_day"):
            data["end"] = data["last_day"] + timedelta(days=1)
        return data


# Service field names → form field names, where they differ.
CREATE_FIELDS = {"end": "last_day", **AgreementTermsForm.SERVICE_FIELDS}


class AllocationAcceptForm(AccessibleForm):
    house_rules_accepted = forms.BooleanField(
        label=_("I have read the house rules and accept them on behalf of the structure"),
        required=False,
    )
    insurance_valid_until = BoundedDateField(
        label=_("Insurance certificate valid until"),
        widget=_DATE,
        help_text=_("Civil liability and tenant's risks; it must cover the first day."),
    )


class AllocationReasonForm(AccessibleForm):
    reason = MultiLineFormField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the agreement's history and shown to the other party."),
    )


class AllocationSignForm(AccessibleForm):
    """The manager records the signature; once clashing bookings are listed, the form offers
    to cancel them with a reason sent to their organisations."""

    def __init__(self, *args: object, offer_cancel: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if offer_cancel:
            self.fields["cancel_bookings"] = forms.BooleanField(
                label=_("Cancel these bookings with this reason"), required=False
            )
            self.fields["reason"] = MultiLineFormField(
                label=_("Reason for the cancellation"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Sent by e-mail to the organisations whose bookings are cancelled."),
            )
            self._set_aria()


class AllocationEndForm(AccessibleForm):
    on = BoundedDateField(
        label=_("End on"),
        widget=_DATE,
        help_text=_("The spaces are free from that day."),
    )
    reason = MultiLineFormField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class AllocationRenewForm(AccessibleForm):
    last_day = BoundedDateField(
        label=_("New last day"),
        widget=_DATE,
        help_text=_("A new agreement with the same terms is offered to the structure."),
    )


class KeyIssueForm(AccessibleForm):
    label = SingleLineFormField(label=_("Key or badge"), max_length=100)
    issued_on = BoundedDateField(label=_("Handed over on"), widget=_DATE)


class KeyReturnForm(AccessibleForm):
    returned_on = BoundedDateField(label=_("Returned on"), widget=_DATE)


class InventoryForm(AccessibleForm):
    kind = forms.ChoiceField(label=_("Inventory"), choices=InventoryKind.choices)
    done_on = BoundedDateField(label=_("Done on"), widget=_DATE)
    notes = MultiLineFormField(
        label=_("State of the premises"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Room by room: walls, floors, fittings, equipment, meter readings."),
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = SingleLineFormField(
        label=_("Description of the photo"),
        max_length=250,
        required=False,
        help_text=_("Required with a photo: what it shows, for people who cannot see it."),
    )


class InventoryPhotoForm(AccessibleForm):
    photo = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = SingleLineFormField(
        label=_("Description of the photo"),
        max_length=250,
        help_text=_("What it shows, for people who cannot see it."),
    )


class TimelineForm(AccessibleForm):
    start = BoundedDateField(
        label=_("From the month of"),
        required=False,
        widget=_DATE,
        help_text=_("Any day of the first month shown."),
    )
    months = forms.IntegerField(
        label=_("Number of months"), required=False, min_value=1, max_value=24
    )


_TIME = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")


class SharingWindowForm(AccessibleForm):
    """A shared time the occupant proposes (issue 17); the service checks the values."""

    space = forms.ModelChoiceField(label=_("Room"), queryset=Space.objects.none())
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), coerce=int, choices=Weekday.choices
    )
    start_time = forms.TimeField(label=_("From"), widget=_TIME)
    end_time = forms.TimeField(label=_("To"), widget=_TIME)
    valid_from = BoundedDateField(label=_("First day"), widget=_DATE)
    valid_until = BoundedDateField(label=_("Last day"), widget=_DATE)
    occupant_share_percent = forms.IntegerField(
        label=_("Your share of the fees and of the aid (%)"),
        min_value=0,
        max_value=100,
        help_text=_("The owner keeps the rest; it collects the fees through its own channel."),
    )

    def __init__(self, *args, spaces: QuerySet[Space] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if spaces is not None:
            self.fields["space"].queryset = spaces
