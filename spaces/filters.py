"""The catalogue filters, shared by the HTML catalogue and the API (one place for each rule)."""

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.widgets import FastSelect, options_from_values
from spaces.models import Space, SpaceKind
from spaces.selectors import communes_by_name, communes_menu, step_free_q


class UsageMode:
    SHORT = "short"
    LONG = "long"
    CHOICES = [
        (SHORT, _("Short bookings (hours, days)")),
        (LONG, _("Long-term occupancy (months, years)")),
    ]


class SpaceFilterForm(forms.Form):
    def clean(self) -> dict:
        cleaned = super().clean()
        low, high = cleaned.get("surface_min"), cleaned.get("surface_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "surface_max", _("The maximum surface must be at least the minimum surface.")
            )
        return cleaned


class SpaceFilter(django_filters.FilterSet):
    commune = django_filters.ModelChoiceFilter(
        field_name="site__commune",
        queryset=communes_by_name(),
        label=_("Commune"),
        empty_label=_("All communes"),
        widget=FastSelect,
    )
    kind = django_filters.ChoiceFilter(
        choices=SpaceKind.choices,
        label=_("Kind of space"),
        empty_label=_("All kinds"),
        widget=FastSelect,
    )
    capacity_min = django_filters.NumberFilter(
        field_name="capacity",
        lookup_expr="gte",
        label=_("Minimum capacity (people)"),
        min_value=1,
    )
    surface_min = django_filters.NumberFilter(
        field_name="surface_m2", lookup_expr="gte", label=_("Minimum surface (m²)"), min_value=0
    )
    surface_max = django_filters.NumberFilter(
        field_name="surface_m2", lookup_expr="lte", label=_("Maximum surface (m²)"), min_value=0
    )
    mode = django_filters.ChoiceFilter(
        choices=UsageMode.CHOICES,
        method="filter_mode",
        label=_("Use"),
        empty_label=_("Any use"),
        widget=FastSelect,
    )
    step_free = django_filters.BooleanFilter(
        method="filter_step_free",
        label=_("Step-free access"),
        widget=forms.CheckboxInput,
    )
    vacant = django_filters.BooleanFilter(
        method="filter_vacant", label=_("Vacant only"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Space
        form = SpaceFilterForm
        fields = ["commune", "kind", "capacity_min", "surface_min", "surface_max", "mode"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The menu reads two columns when shown, not 52 model instances (core.widgets).
        options_from_values(self.form.fields["commune"], communes_menu)

    def filter_mode(self, queryset: QuerySet[Space], name: str, value: str) -> QuerySet[Space]:
        if value == UsageMode.SHORT:
            return queryset.filter(bookable=True)
        if value == UsageMode.LONG:
            return queryset.filter(allocatable=True)
        return queryset

    def filter_step_free(
        self, queryset: QuerySet[Space], name: str, value: bool
    ) -> QuerySet[Space]:
        return queryset.filter(step_free_q()) if value else queryset

    def filter_vacant(self, queryset: QuerySet[Space], name: str, value: bool) -> QuerySet[Space]:
        return queryset.filter(vacant_since__isnull=False) if value else queryset
