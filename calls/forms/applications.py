"""Forms of an application: start it for a structure, fill its draft, withdraw it."""

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationDocument
from calls.forms.calls import lot_label
from calls.models import Application, CallLot
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from core.validators import bounds_of
from spaces.models import SpaceKind

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TEXT = forms.Textarea(attrs={"rows": 6})
_SHORT_TEXT = forms.Textarea(attrs={"rows": 3})


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
