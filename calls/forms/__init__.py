"""Forms of the calls pages, one module per sub-domain (calls, applications, reviews, decisions,
waiting). They only shape input: `calls.services` holds the rules.

The public names are re-exported here: `from calls.forms import CallForm` works.
"""

from calls.forms.applications import ApplicationForm, ApplicationStartForm, ReasonForm
from calls.forms.calls import (
    BaseCriterionFormSet,
    CallForm,
    CriterionForm,
    CriterionFormSet,
    criteria_initial,
    lot_label,
    space_label,
)
from calls.forms.comments import ApplicationCommentForm
from calls.forms.decisions import AcceptForm, AgreementForm, DecideForm, RefuseForm
from calls.forms.reviews import DeclarationForm, ReviewerAssignForm, ScoreForm
from calls.forms.waiting import WaitingEntryForm

__all__ = [
    "AcceptForm",
    "AgreementForm",
    "ApplicationCommentForm",
    "ApplicationForm",
    "ApplicationStartForm",
    "BaseCriterionFormSet",
    "CallForm",
    "CriterionForm",
    "CriterionFormSet",
    "DecideForm",
    "DeclarationForm",
    "ReasonForm",
    "RefuseForm",
    "ReviewerAssignForm",
    "ScoreForm",
    "WaitingEntryForm",
    "criteria_initial",
    "lot_label",
    "space_label",
]
