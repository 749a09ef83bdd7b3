"""Forms of the season's manager pages: a campaign's terms and rules, the arbitration board's
moves and swaps, the committee's decision. They only shape input: `seasons.services` holds
the rules and says what is wrong."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import EssFamily, Organisation
from core.fields import MultiLineFormField, SingleLineFormField
from core.formats import time_range_text, weekday_name
from core.forms import AccessibleForm, BoundedDateField
from core.params import out_of_range_message, year_in_range
from seasons.models import (
    MAX_ALTERNATIVES,
    MAX_HOURS_PER_WEEK,
    MAX_RULE_WEIGHT,
    MAX_WISHES_PER_STRUCTURE,
    ActivityKind,
    Campaign,
    PlanAssignment,
    SeasonPeriod,
)
from seasons.services import CampaignTerms, OptionInput
from spaces.models import MAX_PEOPLE, Amenity, Space, SpaceKind, Weekday

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
FAMILY_PREFIX = "family_"
ACTIVITY_PREFIX = "activity_"


def space_label(space: Space) -> str:
    return f"{space.name} — {space.site.name} ({space.capacity} places)"


class CampaignForm(AccessibleForm):
    """A campaign's terms and rules, as `campaign_create` and `campaign_update` take them."""

    owner = forms.ModelChoiceField(
        label=_("Run by"), queryset=Organisation.objects.none(), empty_label=None
    )
    title = SingleLineFormField(label=_("Title"), max_length=200)
    school_year = forms.IntegerField(
        label=_("School year (first year)"),
        min_value=2000,
        max_value=2100,
        help_text=_("2027 for the school year 2027–2028."),
    )
    opens_on = BoundedDateField(label=_("Wishes open on"), widget=_DATE)
    deadline = forms.DateTimeField(
        label=_("Deadline for wishes"), widget=_DATETIME, help_text=_("French time.")
    )
    spaces = forms.ModelMultipleChoiceField(
        label=_("Spaces offered"),
        queryset=Space.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The bookable spaces you manage."),
    )
    closed_in_holidays = forms.ModelMultipleChoiceField(
        label=_("Spaces closed during the school holidays"),
        queryset=Space.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Zone B. The weekly slots of a ticked space skip the school holidays; the others "
            "run through them (public holidays are always skipped)."
        ),
    )
    hours_per_week = forms.IntegerField(
        label=_("Hours per week per structure at most"),
        min_value=1,
        max_value=MAX_HOURS_PER_WEEK,
        required=False,
        help_text=_("Empty: no cap."),
    )
    local_first = forms.BooleanField(label=_("The commune's structures first"), required=False)
    local_structures = forms.ModelMultipleChoiceField(
        label=_("The commune's structures"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Those the rule above puts first."),
    )
    holders_keep = forms.BooleanField(
        label=_("Last year's holders keep their slots"),
        required=False,
        help_text=_("Unless someone with a higher priority asks for the same slot."),
    )
    previous = forms.ModelChoiceField(
        label=_("Last year's campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("None"),
    )

    def __init__(
        self,
        *args,
        owners: QuerySet[Organisation] | None,
        spaces: QuerySet[Space],
        structures: QuerySet[Organisation],
        campaigns: QuerySet[Campaign],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if owners is None:  # editing: the owner stays
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners.order_by("name")
        spaces = spaces.select_related("site").order_by("site__name", "name", "pk")
        for name in ("spaces", "closed_in_holidays"):
            self.fields[name].queryset = spaces
            self.fields[name].label_from_instance = space_label
        if "closed_in_holidays" not in self.initial:  # a new campaign: closed, the default
            self.initial["closed_in_holidays"] = list(spaces.values_list("pk", flat=True))
        self.fields["local_structures"].queryset = structures.order_by("name", "pk")
        self.fields["previous"].queryset = campaigns
        weight = {"min_value": 0, "max_value": MAX_RULE_WEIGHT, "required": False}
        for code, label in EssFamily.choices:
            self.fields[FAMILY_PREFIX + code] = forms.IntegerField(label=label, **weight)
        for code, label in ActivityKind.choices:
            self.fields[ACTIVITY_PREFIX + code] = forms.IntegerField(label=label, **weight)
        self._set_aria()

    def family_fields(self) -> list:
        return [self[n] for n in self.fields if n.startswith(FAMILY_PREFIX)]

    def activity_fields(self) -> list:
        return [self[n] for n in self.fields if n.startswith(ACTIVITY_PREFIX)]

    def main_fields(self) -> list:
        return [
            self[n]
            for n in self.fields
            if not n.startswith((FAMILY_PREFIX, ACTIVITY_PREFIX))
            and n not in ("local_first", "local_structures", "holders_keep", "previous")
            and n not in ("hours_per_week",)
        ]

    def rule_fields(self) -> list:
        names = ("hours_per_week", "local_first", "local_structures", "holders_keep", "previous")
        return [self[n] for n in names]

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline is not None and not year_in_range(deadline.year):
            raise ValidationError(out_of_range_message(str(self.fields["deadline"].label)))
        return deadline

    def terms(self) -> CampaignTerms:
        """The terms `campaign_create` / `campaign_update` take (after `is_valid()`)."""
        values = self.cleaned_data
        spaces = list(values["spaces"])
        closed = {s.pk for s in values["closed_in_holidays"]}
        return CampaignTerms(
            title=values["title"],
            school_year=values["school_year"],
            opens_on=values["opens_on"],
            deadline=values["deadline"],
            spaces=spaces,
            open_in_school_holidays=[s for s in spaces if s.pk not in closed],
            hours_per_week=values["hours_per_week"],
            local_first=values["local_first"],
            local_structures=list(values["local_structures"]),
            favoured_families={
                n.removeprefix(FAMILY_PREFIX): v
                for n, v in values.items()
                if n.startswith(FAMILY_PREFIX) and v
            },
            favoured_activities={
                n.removeprefix(ACTIVITY_PREFIX): v
                for n, v in values.items()
                if n.startswith(ACTIVITY_PREFIX) and v
            },
            holders_keep=values["holders_keep"],
            previous=values["previous"],
        )


def campaign_initial(campaign: Campaign) -> dict:
    """The form's initial values for a draft campaign."""
    links = list(campaign.spaces.all())
    initial = {
        "title": campaign.title,
        "school_year": campaign.school_year,
        "opens_on": campaign.opens_on,
        "deadline": campaign.deadline,
        "spaces": [link.space_id for link in links],
        "closed_in_holidays": [link.space_id for link in links if link.closed_in_school_holidays],
        "hours_per_week": campaign.hours_per_week,
        "local_first": campaign.local_first,
        "local_structures": list(campaign.local_structures.values_list("pk", flat=True)),
        "holders_keep": campaign.holders_keep,
        "previous": campaign.previous_id,
    }
    for code, weight in campaign.favoured_families.items():
        initial[FAMILY_PREFIX + code] = weight
    for code, weight in campaign.favoured_activities.items():
        initial[ACTIVITY_PREFIX + code] = weight
    return initial


class MoveForm(AccessibleForm):
    """Put a wish on one of its options in a space of the campaign, or take it off the plan."""

    REMOVE = "remove"

    assignment = forms.ModelChoiceField(
        label=_("Wish"),
        queryset=PlanAssignment.objects.none(),
        empty_label=None,
        widget=forms.HiddenInput,
    )
    target = forms.ChoiceField(
        label=_("Put it on"),
        help_text=_("One of the wish's own choices, in a space of the campaign."),
    )

    def __init__(
        self, *args, assignments: QuerySet[PlanAssignment], targets: list[tuple], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = assignments
        self.fields["assignment"].label_from_instance = assignment_label
        self.fields["target"].choices = [(self.REMOVE, _("Take it off the plan")), *targets]
        self._set_aria()

    def option_and_space(self) -> tuple[int | None, int | None]:
        """(option id, space id) of the target, (None, None) to take it off the plan."""
        target = self.cleaned_data["target"]
        if target == self.REMOVE:
            return None, None
        option, space = target.split("-")
        return int(option), int(space)


class SwapForm(AccessibleForm):
    """Two placed wishes exchange their spaces; each keeps its own times."""

    first = forms.ModelChoiceField(
        label=_("First wish"), queryset=PlanAssignment.objects.none(), empty_label=None
    )
    second = forms.ModelChoiceField(
        label=_("Second wish"), queryset=PlanAssignment.objects.none(), empty_label=None
    )

    def __init__(self, *args, assignments: QuerySet[PlanAssignment], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first", "second"):
            self.fields[name].queryset = assignments
            self.fields[name].label_from_instance = assignment_label
        self._set_aria()

    def clean(self):
        values = super().clean()
        if values.get("first") is not None and values.get("first") == values.get("second"):
            raise ValidationError(_("Choose two different wishes."))
        return values


class DecisionForm(AccessibleForm):
    decided_on = BoundedDateField(label=_("Decision date"), widget=_DATE)
    deliberation_reference = SingleLineFormField(
        label=_("Decision number"),
        max_length=100,
        help_text=_("Number of the council decision or of the order."),
    )


def assignment_label(assignment: PlanAssignment) -> str:
    """« mardi 18 h–20 h, Salle A — Club de judo » for a placed wish (its time first: long names
    are cut on a phone), the structure and purpose for an unplaced one."""
    wish = assignment.wish
    if assignment.option_id is None or assignment.space_id is None:
        return f"{wish.structure.name} — {wish.purpose}"
    option = assignment.option
    when = f"{weekday_name(option.weekday)} {time_range_text(option.start, option.end)}"
    return f"{when}, {assignment.space.name} — {wish.structure.name}"


# --- A structure's wishes (seasons/views/apply.py) ---

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
        label=_("Give back from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The slot's dates from this day on are cancelled and freed."),
    )
    reason = MultiLineFormField(label=_("Reason"), max_length=2000)
