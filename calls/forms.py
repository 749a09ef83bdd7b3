"""Forms of the calls pages. They only shape input: calls.services holds the rules."""

from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import DocumentKind, Organisation, OrganisationDocument, User
from accounts.selectors import user_get_by_email
from bookings.models import FreeUseBasis, LegalRegime
from calls.models import Application, CallLot, Criterion, Score
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from core.validators import MAX_MONEY_CENTS, bounds_of, validate_single_line
from spaces.models import Space, SpaceKind

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_TEXT = forms.Textarea(attrs={"rows": 6})
_SHORT_TEXT = forms.Textarea(attrs={"rows": 3})


def space_label(space: Space) -> str:
    return f"{space.name} — {space.site.name}, {space.site.commune.name} ({space.surface_m2:g} m²)"


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


class ApplicationStartForm(AccessibleForm):
    structure = forms.ModelChoiceField(
        label=_("Structure that applies"), queryset=Organisation.objects.none(), empty_label=None
    )

    def __init__(self, *args, structures: QuerySet[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures


def _document_label(document: OrganisationDocument) -> str:
    label = str(document.get_kind_display())
    if document.expires_on is not None:
        label += " — " + str(_("valid until %(date)s")) % {
            "date": date_format(document.expires_on, "SHORT_DATE_FORMAT")
        }
        if document.is_expired():
            label += " " + str(_("(expired)"))
    return (
        label
        + " — "
        + str(_("added on %(date)s"))
        % {"date": date_format(timezone.localtime(document.uploaded_at), "SHORT_DATE_FORMAT")}
    )


class ApplicationForm(AccessibleForm):
    """A draft application. One select per rank gives the ranked lots (`lots_ranked`)."""

    project = MultiLineFormField(
        label=_("Your project"),
        widget=_TEXT,
        required=False,
        help_text=_(
            "Activity, people served, jobs, partners, what the premises would change. The "
            "reviewers score it against the published criteria."
        ),
    )
    needed_surface_m2 = forms.IntegerField(
        label=_("Surface needed (m²)"),
        required=False,
        **bounds_of(Application, "needed_surface_m2"),
    )
    needed_kind = forms.ChoiceField(
        label=_("Kind of space needed"),
        choices=[("", "—"), *SpaceKind.choices],
        required=False,
    )
    wanted_start = BoundedDateField(label=_("Wanted from"), widget=_DATE, required=False)
    duration_months = forms.IntegerField(
        label=_("Duration (months)"), min_value=1, max_value=144, required=False
    )
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents attached"),
        queryset=OrganisationDocument.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    republican_commitment = forms.BooleanField(
        label=_(
            "Our structure subscribes to the republican commitment contract (loi 2000-321, "
            "art. 10-1) and informs its members of it."
        ),
        required=False,
    )
    republican_commitment_signatory = SingleLineFormField(
        label=_("Name and role of the signatory"), max_length=200, required=False
    )

    def __init__(
        self,
        *args,
        application: Application,
        lots: QuerySet[CallLot],
        documents: QuerySet[OrganisationDocument],
        needs_republican_commitment: bool,
        **kwargs,
    ) -> None:
        kwargs.setdefault("initial", _application_initial(application))
        super().__init__(*args, **kwargs)
        lots = lots.select_related("space__site__commune")
        self.rank_names = [f"rank_{rank}" for rank in range(1, lots.count() + 1)]
        for rank, name in enumerate(self.rank_names, start=1):
            field = forms.ModelChoiceField(
                label=_("Choice no. %(rank)s") % {"rank": rank},
                queryset=lots,
                required=False,
                empty_label="—",
            )
            field.label_from_instance = lot_label
            self.fields[name] = field
        self.fields["documents"].queryset = documents
        self.fields["documents"].label_from_instance = _document_label
        if not needs_republican_commitment:
            del self.fields["republican_commitment"]
            del self.fields["republican_commitment_signatory"]
        self._set_aria()

    def rank_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.rank_names]

    def clean(self) -> dict:
        cleaned = super().clean()
        ranked: list[CallLot] = []
        for name in self.rank_names:
            lot = cleaned.get(name)
            if lot is None:
                continue
            if lot in ranked:
                self.add_error(name, _("This lot is already ranked above."))
            else:
                ranked.append(lot)
        cleaned["lots_ranked"] = ranked
        if "republican_commitment" in self.fields:
            ticked = cleaned.get("republican_commitment")
            signatory = (cleaned.get("republican_commitment_signatory") or "").strip()
            if ticked and not signatory:
                self.add_error(
                    "republican_commitment_signatory", _("Give the name of the signatory.")
                )
            elif signatory and not ticked:
                self.add_error(
                    "republican_commitment", _("Tick the box to subscribe to the contract.")
                )
            cleaned["signatory"] = signatory if ticked else ""
        else:
            cleaned["signatory"] = ""
        return cleaned


def _application_initial(application: Application) -> dict:
    initial: dict = {
        "project": application.project,
        "needed_surface_m2": application.needed_surface_m2,
        "needed_kind": application.needed_kind,
        "wanted_start": application.wanted_start,
        "duration_months": application.duration_months,
        "documents": list(application.documents.values_list("pk", flat=True)),
        "republican_commitment": application.republican_commitment_at is not None,
        "republican_commitment_signatory": application.republican_commitment_signatory,
    }
    for preference in application.preferences.all():
        initial[f"rank_{preference.rank}"] = preference.lot_id
    return initial


class ReasonForm(AccessibleForm):
    reason = MultiLineFormField(label=_("Reason (optional)"), widget=_SHORT_TEXT, required=False)


class ReviewerAssignForm(AccessibleForm):
    email = forms.EmailField(
        label=_("E-mail address of the reviewer"),
        validators=[validate_single_line],
        help_text=_("The person must already have an account on Locaux Communs."),
    )

    def clean_email(self) -> User:
        user = user_get_by_email(self.cleaned_data["email"])
        if user is None or not user.is_active:
            raise forms.ValidationError(
                _("No account uses this e-mail address: ask the person to sign up first.")
            )
        return user


class DeclarationForm(AccessibleForm):
    NO, YES = "no", "yes"
    conflict_of_interest = forms.ChoiceField(
        label=_("Conflict of interest"),
        choices=[
            (NO, _("I have no conflict of interest with any applicant")),
            (YES, _("I have a conflict of interest (I will not score)")),
        ],
        widget=forms.RadioSelect,
        help_text=_(
            "For example: you are a member, employee or relative of a member of an applicant."
        ),
    )
    conflict_note = MultiLineFormField(
        label=_("Details (required if you declare a conflict)"),
        widget=_SHORT_TEXT,
        required=False,
    )

    @property
    def has_conflict(self) -> bool:
        return self.cleaned_data["conflict_of_interest"] == self.YES


class ScoreForm(AccessibleForm):
    """One mark (0–10) and one comment per criterion of the call."""

    def __init__(
        self, *args, criteria: list[Criterion], scores: dict[int, Score], **kwargs
    ) -> None:
        initial = {}
        for criterion_id, score in scores.items():
            initial[f"mark_{criterion_id}"] = score.mark
            initial[f"comment_{criterion_id}"] = score.comment
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"mark_{criterion.pk}"] = forms.IntegerField(
                label=_("Mark from 0 to 10"),
                min_value=0,
                max_value=10,
                widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1}),
            )
            self.fields[f"comment_{criterion.pk}"] = MultiLineFormField(
                label=_("Comment"), widget=_SHORT_TEXT, required=False
            )
        self._set_aria()

    def groups(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        return [
            (criterion, self[f"mark_{criterion.pk}"], self[f"comment_{criterion.pk}"])
            for criterion in self.criteria
        ]

    def marks(self) -> list[tuple[Criterion, int, str]]:
        return [
            (
                criterion,
                self.cleaned_data[f"mark_{criterion.pk}"],
                self.cleaned_data[f"comment_{criterion.pk}"],
            )
            for criterion in self.criteria
        ]


class AcceptForm(AccessibleForm):
    lot = forms.ModelChoiceField(
        label=_("Lot given"), queryset=CallLot.objects.none(), empty_label=None
    )

    def __init__(self, *args, lots: QuerySet[CallLot], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots.select_related("space__site__commune")
        self.fields["lot"].label_from_instance = lot_label


class RefuseForm(AccessibleForm):
    reason = MultiLineFormField(
        label=_("Reasons of the refusal"),
        widget=_SHORT_TEXT,
        help_text=_(
            "Sent to the applicant. Base them on the published criteria, the good administration "
            "of the property or public order."
        ),
    )


class DecideForm(AccessibleForm):
    deliberation_reference = SingleLineFormField(
        label=_("Decision number"),
        max_length=100,
        help_text=_("Number of the council decision or of the order."),
    )
    deliberation_date = BoundedDateField(label=_("Decision date"), widget=_DATE)


def _cents(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


class AgreementForm(AccessibleForm):
    """The terms of the occupancy agreement offered to an accepted applicant; amounts in €."""

    start = BoundedDateField(label=_("Start"), widget=_DATE)
    end = BoundedDateField(
        label=_("End"), widget=_DATE, help_text=_("First day after the occupation.")
    )
    legal_regime = forms.ChoiceField(label=_("Legal regime"), choices=LegalRegime.choices)
    annual_fee = forms.DecimalField(
        label=_("Annual fee (€)"),
        min_value=0,
        max_value=Decimal(MAX_MONEY_CENTS) / 100,
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty or 0 for free use, then give its legal basis."),
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
    deposit = forms.DecimalField(
        label=_("Deposit (€)"),
        min_value=0,
        max_value=Decimal(MAX_MONEY_CENTS) / 100,
        max_digits=10,
        decimal_places=2,
        required=False,
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["annual_fee_cents"] = _cents(cleaned.get("annual_fee"))
        cleaned["deposit_cents"] = _cents(cleaned.get("deposit"))
        return cleaned

    def terms(self) -> dict:
        values = self.cleaned_data
        return {
            "start": values["start"],
            "end": values["end"],
            "legal_regime": values["legal_regime"],
            "annual_fee_cents": values["annual_fee_cents"],
            "free_use_basis": values["free_use_basis"],
            "free_use_reference": values["free_use_reference"],
            "deposit_cents": values["deposit_cents"],
        }
