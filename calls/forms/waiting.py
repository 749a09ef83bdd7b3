"""The form of the waiting list: a structure without premises registers its need."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from calls.models import WaitingListEntry
from core.collation import french
from core.fields import MultiLineFormField
from core.forms import AccessibleForm, BoundedDateField
from core.validators import bounds_of
from spaces.models import Commune, SpaceKind
from spaces.selectors import communes_in_territory


class WaitingEntryForm(AccessibleForm):
    structure = forms.ModelChoiceField(label=_("Structure"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Kind of space"), choices=SpaceKind.choices)
    min_surface_m2 = forms.IntegerField(
        label=_("Minimum surface (m²)"),
        required=False,
        **bounds_of(WaitingListEntry, "min_surface_m2"),
    )
    max_surface_m2 = forms.IntegerField(
        label=_("Maximum surface (m²)"),
        required=False,
        **bounds_of(WaitingListEntry, "max_surface_m2"),
    )
    communes = forms.ModelMultipleChoiceField(
        label=_("Communes"),
        queryset=Commune.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty if any commune of the territory suits you."),
    )
    wanted_from = BoundedDateField(
        label=_("Wanted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty if you need premises now."),
    )
    notes = MultiLineFormField(
        label=_("Your needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Activity, opening hours, equipment, accessibility…"),
    )

    def __init__(self, *args, structures: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures.order_by("name")
        if structures.count() == 1:
            self.fields["structure"].initial = structures.first()
        self.fields["communes"].queryset = communes_in_territory().order_by(french("name"))
