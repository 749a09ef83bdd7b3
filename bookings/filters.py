"""The filters of the approval queue: site, space, dates (GET, django-filter)."""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.selectors import AnyUser
from bookings.models import Booking
from bookings.selectors import local_zone
from core.params import out_of_range_message, year_in_range
from core.widgets import FastSelect, options_from_values
from spaces.models import Site, Space
from spaces.selectors import (
    sites_manageable_by,
    sites_manageable_menu,
    spaces_manageable_by,
    spaces_manageable_menu,
)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


class PendingFilterForm(forms.Form):
    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not year_in_range(day.year):
                self.add_error(name, out_of_range_message(str(self.fields[name].label)))
        low, high = cleaned.get("date_from"), cleaned.get("date_to")
        if low is not None and high is not None and low > high:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return cleaned


class PendingFilter(django_filters.FilterSet):
    """Requests awaiting a decision, narrowed to a site, a space, first dates between two days
    (both included, in local time). The choices are the sites and spaces the user manages."""

    site = django_filters.ModelChoiceFilter(
        field_name="space__site",
        queryset=Site.objects.none(),
        label=_("Site"),
        empty_label=_("All sites"),
        widget=FastSelect,
    )
    space = django_filters.ModelChoiceFilter(
        queryset=Space.objects.none(),
        label=_("Space"),
        empty_label=_("All spaces"),
        widget=FastSelect,
    )
    date_from = django_filters.DateFilter(
        method="filter_from",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        method="filter_to",
        label=_("To (included)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Booking
        fields = ["site", "space", "date_from", "date_to"]
        form = PendingFilterForm

    def __init__(self, data=None, queryset: QuerySet[Booking] | None = None, *, user: AnyUser):
        super().__init__(data, queryset=queryset)
        # A chosen site or space is validated against the user's own; the querysets are built
        # only then (most visits choose neither; the menus below list them another way).
        chosen = data or {}
        if chosen.get("site"):
            self.filters["site"].queryset = sites_manageable_by(user)
        if chosen.get("space"):
            self.filters["space"].queryset = spaces_manageable_by(user)
        # The menus read plain values when shown, not model instances (core.widgets).
        options_from_values(self.form.fields["site"], lambda: sites_manageable_menu(user))
        options_from_values(
            self.form.fields["space"],
            lambda: (
                (pk, f"{name} ({site_name})")
                for pk, name, site_name in spaces_manageable_menu(user)
            ),
        )

    def filter_from(self, queryset: QuerySet[Booking], name: str, value: date) -> QuerySet:
        return queryset.filter(start__gte=_local_midnight(value))

    def filter_to(self, queryset: QuerySet[Booking], name: str, value: date) -> QuerySet:
        return queryset.filter(start__lt=_local_midnight(value + timedelta(days=1)))
