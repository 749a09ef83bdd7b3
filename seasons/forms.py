"""Forms of the season's pages. The services check everything again; the forms only turn the
posted text into typed values and say in French what is missing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from seasons.models import (
    MAX_ALTERNATIVES,
    MAX_WISHES_PER_STRUCTURE,
    ActivityKind,
    SeasonPeriod,
)
from seasons.services import OptionInput
from spaces.models import MAX_PEOPLE, Amenity, SpaceKind, Weekday

OPTION_COUNT = 1 + MAX_ALTERNATIVES
OPTION_PREFIX = "option"


class WishForm(AccessibleForm):
    """What the slot is for; its choices are the OptionForms beside it."""

    rank = forms.IntegerField(
        label=_("Rank among your structure's wishes"),
        min_value=1,
        max_value=MAX_WISHES_PER_STRUCTURE,
        help_text=_("1 is the wish that matters most to your structure."),
    )
    attendees = forms.IntegerField(label=_("Attendees"), min_value=1, max_value=MAX_PEOPLE)
    purpose = SingleLineFormField(
        label=_("Purpose"), max_length=200, help_text=_("For example: judo lessons for children.")
    )
    activity = forms.ChoiceField(label=_("Kind of activity"), choices=ActivityKind.choices)
    period = forms.ChoiceField(
        label=_("Period"), choices=SeasonPeriod.choices, initial=SeasonPeriod.YEAR
    )
    amenities = forms.ModelMultipleChoiceField(
        label=_("Equipment needed"),
        queryset=Amenity.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, data_keys=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.data_keys = set(data_keys)

    def clean(self) -> dict:
        cleaned = super().clean()
        # A forged form with more choices than the page offers: refused, not silently cut.
        extra = {
            key
            for key in self.data_keys
            if key.startswith(f"{OPTION_PREFIX}-")
            and key.split("-")[1].isdigit()
            and int(key.split("-")[1]) > OPTION_COUNT
        }
        if extra:
            raise forms.ValidationError(
                _("Give a first choice and at most %(max)s alternatives."),
                params={"max": MAX_ALTERNATIVES},
            )
        return cleaned


def place_choices(spaces) -> list:
    """The select of a choice: a space of the campaign, or any space of a kind it has."""
    kinds = sorted({space.kind for space in spaces})
    return [
        ("", _("Choose…")),
        (
            _("A given space"),
            [(f"space:{space.pk}", f"{space.name} ({space.site.name})") for space in spaces],
        ),
        (
            _("Any space of a kind"),
            [(f"kind:{kind}", SpaceKind(kind).label) for kind in kinds],
        ),
    ]


class OptionForm(AccessibleForm):
    """One choice of a wish: the first (required) or an alternative (all empty: none)."""

    weekday = forms.TypedChoiceField(
        label=_("Day"), choices=[("", _("Choose…")), *Weekday.choices], coerce=int, required=False
    )
    start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    place = forms.ChoiceField(label=_("Space or kind of space"), required=False)

    def __init__(self, *args, position: int, spaces, **kwargs) -> None:
        super().__init__(*args, prefix=f"{OPTION_PREFIX}-{position}", **kwargs)
        self.position = position
        self.spaces = {space.pk: space for space in spaces}
        self.fields["place"].choices = place_choices(spaces)
        if position == 1:
            for field in self.fields.values():
                field.required = True
        self._set_aria()

    @property
    def legend(self) -> str:
        if self.position == 1:
            return str(_("First choice"))
        return str(_("Alternative no. %(number)s") % {"number": self.position - 1})

    @property
    def is_empty(self) -> bool:
        return self.is_bound and not any(
            (self.data.get(self.add_prefix(name)) or "").strip() for name in self.fields
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.position > 1 and not self.is_empty and not self.errors:
            missing = [name for name in self.fields if cleaned.get(name) in (None, "")]
            if missing:
                raise forms.ValidationError(_("Fill in the whole choice, or leave it empty."))
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("The end must come after the start."))
        return cleaned

    def option_input(self):
        """The service's OptionInput for this choice, None if it was left empty."""
        if self.is_empty:
            return None
        values = self.cleaned_data
        kind, _sep, value = values["place"].partition(":")
        space = self.spaces.get(int(value)) if kind == "space" and value.isdigit() else None
        return OptionInput(
            weekday=values["weekday"],
            start=values["start"],
            end=values["end"],
            space=space,
            space_kind=value if kind == "kind" else "",
        )


class GiveBackForm(AccessibleForm):
    """Give a published slot back from a date, saying why."""

    from_date = BoundedDateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The slot's dates from this day on are cancelled and freed."),
    )
    reason = MultiLineFormField(label=_("Reason"), max_length=2000)
