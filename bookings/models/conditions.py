"""What a space asks of a request (issue 16): its questions, and what each booking answered.

The questions belong to a space (`RequestQuestion`); the house rules and whether an insurance
certificate is required are two fields of the space itself (`Space.house_rules`,
`Space.insurance_required`), read with the space's row at no extra cost. An answer keeps the
question's text and kind as they were when the request was made, so editing or deleting a
question later rewrites no past answer. Files (a file question's answer, the event's insurance
certificate) are `BookingFile` rows in private storage, served after a permission check.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import private_storage
from bookings.models.occupancy import Booking
from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import bounded

# What a number question may bound its answer to (and what a number answer may be at all).
MAX_ANSWER_NUMBER = 1_000_000_000
MAX_QUESTIONS = 30  # per space: a request form, not a survey
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 500


def answer_field(question_id: int) -> str:
    """The name of a question's field, in forms and in the errors of services and the API."""
    return f"question_{question_id}"


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes or no")
    TEXT = "text", _("Short text")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("Choice among options")
    FILE = "file", _("File (PDF or image)")


class RequestQuestion(models.Model):
    """A question of a space's request form, in `position` order."""

    space = models.ForeignKey(
        "spaces.Space",
        verbose_name=_("space"),
        on_delete=models.CASCADE,
        related_name="request_questions",
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, validators=bounded(0, 1000)
    )
    text = SingleLineCharField(_("question"), max_length=200)
    help_text = SingleLineCharField(_("explanation"), max_length=300, blank=True)
    kind = SingleLineCharField(_("kind of answer"), max_length=10, choices=QuestionKind)
    required = models.BooleanField(_("answer required"), default=False)
    min_value = models.IntegerField(
        _("smallest number"),
        null=True,
        blank=True,
        validators=bounded(-MAX_ANSWER_NUMBER, MAX_ANSWER_NUMBER),
    )
    max_value = models.IntegerField(
        _("largest number"),
        null=True,
        blank=True,
        validators=bounded(-MAX_ANSWER_NUMBER, MAX_ANSWER_NUMBER),
    )
    options = MultiLineTextField(
        _("options"), blank=True, max_length=2000, help_text=_("One option per line.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("request question")
        verbose_name_plural = _("request questions")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="requestquestion_min_not_above_max",
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.split("\n") if line.strip()]


class BookingAnswer(models.Model):
    """A booking's answer to a question (not a file), with the question as it was asked."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        RequestQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )
    position = models.PositiveSmallIntegerField(default=0, validators=bounded(0, 1000))
    question_text = SingleLineCharField(_("question"), max_length=200)
    kind = SingleLineCharField(_("kind of answer"), max_length=10, choices=QuestionKind)
    # "yes"/"no", the text, the number in digits, the option chosen.
    value = MultiLineTextField(_("answer"), max_length=MAX_TEXT_ANSWER)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.question_text}: {self.value}"


class BookingFileKind(models.TextChoices):
    ANSWER = "answer", _("Answer to a question")
    INSURANCE = "insurance", _("Insurance certificate for the event")


def _booking_file_path(instance: "BookingFile", filename: str) -> str:
    return f"bookings/{instance.booking_id}/{secrets.token_hex(8)}-{filename}"


class BookingFile(models.Model):
    """A file attached to a booking: a file question's answer or the event's insurance
    certificate. Private storage; the requester may attach one after the request."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="files")
    kind = SingleLineCharField(_("kind"), max_length=10, choices=BookingFileKind)
    question = models.ForeignKey(
        RequestQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="files"
    )
    question_text = SingleLineCharField(_("question"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=_booking_file_path, storage=private_storage)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attached file")
        verbose_name_plural = _("attached files")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=BookingFileKind.INSURANCE, question__isnull=True)
                | Q(kind=BookingFileKind.ANSWER),
                name="bookingfile_insurance_has_no_question",
            )
        ]

    def __str__(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]

    @property
    def name(self) -> str:
        return str(self)
