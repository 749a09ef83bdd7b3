"""Forms of the conditions of requests (issue 16): the answers on the request page, a file
attached after the request, and the space's settings and questions for its managers."""

from collections.abc import Sequence

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bookings.models import QuestionKind, RequestQuestion
from bookings.models.conditions import MAX_TEXT_ANSWER, answer_field
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, ServiceValidatedModelForm, form_add_service_errors

# The fields of the answers form, besides one per question.
HOUSE_RULES_FIELD = "house_rules_accepted"
_OWN_ERRORS = {HOUSE_RULES_FIELD, "answers"}


class RequestAnswersForm(AccessibleForm):
    """One field per question of the space (`question_<id>`) and the house rules' checkbox.

    It only reads what was typed: the service checks every answer (the API's too). A file
    question is never required here: the file may follow the request (the approval waits).
    """

    house_rules_accepted = forms.BooleanField(
        label=_("I have read the house rules and accept them"), required=False
    )

    def __init__(self, *args, questions: Sequence[RequestQuestion], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[answer_field(question.pk)] = _answer_form_field(question)
        self.order_fields([answer_field(q.pk) for q in self.questions])
        self._set_aria()

    def question_fields(self) -> list[forms.BoundField]:
        return [self[answer_field(question.pk)] for question in self.questions]

    def answers(self, *, files: bool = True) -> dict[int, object]:
        """The answers by question id, as `BookingRequest.answers` takes them; without the
        files for a preview (rolled back: a stored file would be left behind)."""
        values = self.cleaned_data
        return {
            question.pk: values.get(answer_field(question.pk))
            for question in self.questions
            if values.get(answer_field(question.pk)) not in (None, "")
            and (files or question.kind != QuestionKind.FILE)
        }


def _answer_form_field(question: RequestQuestion) -> forms.Field:
    common = {"label": question.text, "help_text": question.help_text}
    if question.kind == QuestionKind.YES_NO:
        return forms.ChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))],
            widget=forms.RadioSelect,
            required=question.required,
            **common,
        )
    if question.kind == QuestionKind.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *((option, option) for option in question.option_list)],
            required=question.required,
            **common,
        )
    if question.kind == QuestionKind.NUMBER:
        attrs = {"inputmode": "numeric"}
        if question.min_value is not None:
            attrs["min"] = str(question.min_value)
        if question.max_value is not None:
            attrs["max"] = str(question.max_value)
        return SingleLineFormField(
            required=question.required,
            max_length=30,
            widget=forms.TextInput(attrs=attrs),
            **common,
        )
    if question.kind == QuestionKind.FILE:
        help_text = _("PDF, JPEG or PNG, 10 MB at most.")
        if question.required:
            help_text = _(
                "PDF, JPEG or PNG, 10 MB at most. Required before approval: you may also "
                "attach it later from the booking's page."
            )
        return forms.FileField(
            label=question.text,
            help_text=f"{question.help_text} {help_text}".strip(),
            required=False,
            widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        )
    return SingleLineFormField(required=question.required, max_length=MAX_TEXT_ANSWER, **common)


def request_errors_add(
    form: forms.BaseForm, answers_form: RequestAnswersForm, error: ValidationError
) -> None:
    """Show a request's ValidationError: the answers' errors on the answers form, the others
    on the request form."""
    if not hasattr(error, "error_dict"):
        form_add_service_errors(form, error)
        return
    own = {
        name: messages
        for name, messages in error.message_dict.items()
        if name in _OWN_ERRORS or name in answers_form.fields
    }
    rest = {name: messages for name, messages in error.message_dict.items() if name not in own}
    if own:
        form_add_service_errors(answers_form, ValidationError(own))
    if rest:
        form_add_service_errors(form, ValidationError(rest))


class BookingFileForm(AccessibleForm):
    """A file attached to a booking: the event's insurance certificate or a question's file."""

    question = forms.TypedChoiceField(
        label=_("What this file is"), coerce=int, empty_value=None, required=False
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, 10 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, questions: Sequence[RequestQuestion], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [
            ("", _("Insurance certificate for the event")),
            *((question.pk, question.text) for question in questions),
        ]


class SpaceConditionsForm(AccessibleForm):
    house_rules = MultiLineFormField(
        label=_("House rules"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Requesters must accept them to send a request; empty: none."),
    )
    insurance_required = forms.BooleanField(
        label=_("An insurance certificate for the event is required before approval"),
        required=False,
    )


class RequestQuestionForm(ServiceValidatedModelForm):
    class Meta:
        model = RequestQuestion
        fields = ["text", "help_text", "kind", "required", "min_value", "max_value", "options"]
        widgets = {"options": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "min_value": _("For a number only; empty: no bound."),
            "max_value": _("For a number only; empty: no bound."),
            "options": _("For a choice only: one option per line, two at least."),
        }
