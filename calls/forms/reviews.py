"""Forms of the reviewers: assignment by e-mail, declaration of interest, scores."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_get_by_email
from calls.models import Criterion, Score
from core.fields import MultiLineFormField
from core.forms import AccessibleForm
from core.validators import validate_single_line

_SHORT_TEXT = forms.Textarea(attrs={"rows": 3})


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
