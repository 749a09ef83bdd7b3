"""The quota form of a site's management pages (issue 16); `bookings.services.quotas` checks."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from bookings.models import BookingQuota
from core.forms import AccessibleForm
from core.validators import bounds_of
from spaces.models import SpaceKind


class QuotaForm(AccessibleForm):
    organisation = forms.ModelChoiceField(
        label=_("Structure"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Every structure, each on its own"),
    )
    space_kind = forms.ChoiceField(
        label=_("Spaces"),
        choices=[("", _("Every space of the site")), *SpaceKind.choices],
        required=False,
    )
    max_hours_per_week = forms.IntegerField(
        label=_("Hours per week at most"),
        required=False,
        **bounds_of(BookingQuota, "max_hours_per_week"),
        help_text=_("Pending and confirmed dates, each counted in the week it starts in."),
    )
    max_hours_per_month = forms.IntegerField(
        label=_("Hours per month at most"),
        required=False,
        **bounds_of(BookingQuota, "max_hours_per_month"),
    )
    max_pending = forms.IntegerField(
        label=_("Requests awaiting a decision at once, at most"),
        required=False,
        **bounds_of(BookingQuota, "max_pending"),
        help_text=_("A pending request holds its slot for up to 10 days."),
    )

    def __init__(self, *args, structures: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = structures
        self.fields["organisation"].widget.attrs["data-filter-label"] = str(
            _("Filter the structures by name")
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        limits = ("max_hours_per_week", "max_hours_per_month", "max_pending")
        if not self.errors and all(cleaned.get(name) is None for name in limits):
            raise forms.ValidationError(_("Set at least one limit."))
        return cleaned
