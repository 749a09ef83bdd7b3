"""Forms of equipment (issue 16): the quantities a request asks for, one field per item of the
space's site, and an item of a site's stock for its managers."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings.models import MAX_STOCK, Equipment
from core.fields import SingleLineFormField
from core.forms import AccessibleForm

PREFIX = "equipment_"


class EquipmentRequestForm(AccessibleForm):
    """One quantity field per item offered (`equipment_<id>`), 0 by default; `asked()` gives
    the (id, quantity) pairs the service takes. The stock left at the requested time is the
    service's answer, not the form's."""

    def __init__(self, *args, equipment: list[Equipment], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for item in equipment:
            self.fields[f"{PREFIX}{item.pk}"] = forms.IntegerField(
                label=item.name,
                required=False,
                min_value=0,
                max_value=item.stock,
                initial=0,
                help_text=_("Up to %(stock)s.") % {"stock": item.stock},
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        self._set_aria()

    def asked(self) -> tuple[tuple[int, int], ...]:
        return tuple(
            (int(name.removeprefix(PREFIX)), value)
            for name, value in self.cleaned_data.items()
            if value
        )


def posted_equipment(data) -> bool:
    """Whether a request form's POST carries equipment quantities (a site without equipment
    sends none: its request reads no equipment)."""
    return any(key.startswith(PREFIX) for key in data)


class EquipmentForm(AccessibleForm):
    """An item of a site's stock."""

    name = SingleLineFormField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("E.g. folding chairs, tables, projector, sound system."),
    )
    stock = forms.IntegerField(
        label=gettext_lazy("Stock"),
        min_value=0,
        max_value=MAX_STOCK,
        help_text=gettext_lazy("How many can be lent at the same time. 0: no longer offered."),
    )
