"""Forms of a call's pages: its terms and lots, its criteria grid. They only shape input:
`calls.services` holds the rules."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import DocumentKind, Organisation
from calls.models import CallLot, Criterion
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm
from core.text import square_metres
from spaces.models import Space

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_TEXT = forms.Textarea(attrs={"rows": 6})
_SHORT_TEXT = forms.Textarea(attrs={"rows": 3})


def space_label(space: Space) -> str:
    surface = square_metres(space.surface_m2)
    return f"{space.name} — {space.site.name}, {space.site.commune.name} ({surface})"


def lot_label(lot: CallLot) -> str:
    return f"{lot.position}. {space_label(lot.space)}"


class CallForm(AccessibleForm):
    owner = forms.ModelChoiceField(
        label=_("Published by"), queryset=Organisation.objects.none(), empty_label=None
    )
    title = SingleLineFormField(label=_("Title"), max_length=200)
    presentation = MultiLineFormField(
        label=_("Presentation"),
        widget=_TEXT,
        help_text=_(
            "Context and object of the call; conditions of occupation (legal regime, fee, works, "
            "insurance); duration and termination; how applications are examined."
        ),
    )
    eligibility = MultiLineFormField(
        label=_("Eligibility rules"),
        widget=_TEXT,
        help_text=_("E.g. ESS structure with a SIRET, seat or activity on the territory."),
    )
    spaces = forms.ModelMultipleChoiceField(
        label=_("Lots: the vacant spaces offered"),
        queryset=Space.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only the spaces you manage that are offered for long-term occupancy."),
    )
    required_documents = forms.MultipleChoiceField(
        label=_("Documents each applicant must attach"),
        choices=DocumentKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[DocumentKind.STATUTES, DocumentKind.INSURANCE],
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=_DATETIME,
        help_text=_("French time. Leave empty to receive applications on a rolling basis."),
    )

    def __init__(
        self,
        *args,
        owners: QuerySet[Organisation],
        spaces: QuerySet[Space],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["spaces"].queryset = spaces.select_related("site__commune").order_by(
            "site__commune__name", "site__name", "name"
        )
        self.fields["spaces"].label_from_instance = space_label

    def terms(self) -> dict:
        """The call's terms as `call_create` and `call_update` take them (after `is_valid()`)."""
        values = self.cleaned_data
        return {
            "owner": values["owner"],
            "title": values["title"],
            "presentation": values["presentation"],
            "eligibility": values["eligibility"],
            "spaces": list(values["spaces"]),
            "required_documents": values["required_documents"],
            "deadline": values["deadline"],
        }


class CriterionForm(AccessibleForm):
    name = SingleLineFormField(label=_("Criterion"), max_length=200)
    weight = forms.IntegerField(
        label=_("Weight"), min_value=1, max_value=1000, help_text=_("Points out of the total.")
    )
    description = MultiLineFormField(
        label=_("What is assessed"), widget=_SHORT_TEXT, required=False
    )


class BaseCriterionFormSet(forms.BaseFormSet):
    def criteria(self) -> list[tuple[str, int, str]]:
        """The grid in the order of the forms, without the deleted and the empty ones."""
        return [
            (
                form.cleaned_data["name"],
                form.cleaned_data["weight"],
                form.cleaned_data["description"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


CriterionFormSet = forms.formset_factory(
    CriterionForm, formset=BaseCriterionFormSet, extra=1, can_delete=True
)


def criteria_initial(criteria: QuerySet[Criterion]) -> list[dict]:
    return [{"name": c.name, "weight": c.weight, "description": c.description} for c in criteria]
