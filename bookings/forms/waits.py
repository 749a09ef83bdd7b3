"""The form to wait for a slot that is taken (issue 16)."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from bookings.forms.requests import SlotForm
from bookings.models import OFFER_HOURS_DEFAULT, OFFER_HOURS_MAX, OFFER_HOURS_MIN, SlotWait
from core.fields import SingleLineFormField
from core.forms import AccessibleForm
from core.validators import bounds_of


class SlotWaitForm(SlotForm):
    """The slot, the structure and what the request would carry: the booking form's fields of
    the same names, so that a request that clashed is waited for as it was asked."""

    organisation = forms.ModelChoiceField(
        label=_("For which structure"), queryset=Organisation.objects.none(), empty_label=None
    )
    purpose = SingleLineFormField(
        label=_("Purpose"), max_length=200, help_text=_("E.g. board meeting.")
    )
    attendees = forms.IntegerField(
        label=_("Number of attendees"), **bounds_of(SlotWait, "attendees")
    )

    field_order = ["organisation", "purpose", "attendees", "date", "start_time", "end_time"]

    def __init__(self, *args, organisations: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class SlotWaitAcceptForm(AccessibleForm):
    house_rules_accepted = forms.BooleanField(
        label=_("I have read the house rules and accept them"), required=False
    )


class SlotWaitSettingForm(AccessibleForm):
    """How long a freed slot stays offered (a space's managers, on its line's page)."""

    offer_hours = forms.IntegerField(
        label=_("Offer duration (hours)"),
        min_value=OFFER_HOURS_MIN,
        max_value=OFFER_HOURS_MAX,
        initial=OFFER_HOURS_DEFAULT,
        help_text=_(
            "Between 1 and 72 hours: how long a freed slot stays offered to the first "
            "structure in line before it goes to the next one. Never past the space's "
            "minimum notice."
        ),
    )
