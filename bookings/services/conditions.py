"""The conditions of a space's requests (issue 16): its questions, its house rules and whether
the event's insurance certificate is required; the answers a request gives, checked and kept
with the booking; files attached after the request; the check that blocks an approval while a
condition is missing.

`booking_request` calls `_conditions_check` before it writes anything (one query, the space's
questions, and none when the locked space says it asks none; the house rules and the insurance
setting come with the locked space) and
`_answers_write` once the booking exists; `booking_approve` calls `_approval_check`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.exceptions import DecisionNotAllowed
from accounts.files import document_check, document_stored_name
from accounts.models import User
from bookings.exceptions import ConditionsUnmet
from bookings.models import (
    OCCUPYING,
    Booking,
    BookingAnswer,
    BookingFile,
    BookingFileKind,
    BookingLog,
    BookingStatus,
    CommentSide,
    QuestionKind,
    RequestQuestion,
)
from bookings.models.conditions import (
    MAX_ANSWER_NUMBER,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_TEXT_ANSWER,
    answer_field,
)
from bookings.notifications import notify_file
from bookings.permissions import booking_comment_side
from bookings.selectors.conditions import booking_conditions_missing
from core.history import history_actor
from core.storage import storage_write
from core.validators import validate_single_line
from spaces.models import Space
from spaces.permissions import space_check_manager

_YES = {"yes", "oui", "true", "1"}
_NO = {"no", "non", "false", "0"}


# --- The space's settings and questions (its managers) ------------------------------------------


@transaction.atomic
def space_conditions_set(
    *, space: Space, actor: User, house_rules: str, insurance_required: bool
) -> Space:
    """Set the house rules requesters must accept and whether approval waits for the event's
    insurance certificate. Raises PermissionDenied unless the actor manages the space."""
    space_check_manager(actor=actor, space_id=space.pk)
    space = Space.objects.select_for_update().get(pk=space.pk)
    space.house_rules = house_rules.strip()
    space.insurance_required = insurance_required
    space.full_clean(validate_unique=False, validate_constraints=False)
    with history_actor(actor):  # the space's history keeps each version of the rules
        space.save(update_fields=["house_rules", "insurance_required", "updated_at"])
    return space


def _question_clean(question: RequestQuestion) -> None:
    """What a question of each kind needs, the fields of other kinds emptied."""
    if question.kind != QuestionKind.NUMBER:
        question.min_value = question.max_value = None
    if question.kind != QuestionKind.CHOICE:
        question.options = ""
    else:
        options = question.option_list
        if len(options) < 2:
            raise ValidationError({"options": _("Give at least two options, one per line.")})
        if len(options) > MAX_OPTIONS:
            raise ValidationError({"options": _("At most %(n)s options.") % {"n": MAX_OPTIONS}})
        if any(len(option) > 200 for option in options):
            raise ValidationError({"options": _("An option is at most 200 characters long.")})
        question.options = "\n".join(options)
    if (
        question.min_value is not None
        and question.max_value is not None
        and question.min_value > question.max_value
    ):
        raise ValidationError(
            {"max_value": _("The largest number must not be smaller than the smallest.")}
        )
    question.full_clean(exclude=["space"], validate_constraints=False)


@transaction.atomic
def request_question_save(*, question: RequestQuestion, actor: User) -> RequestQuestion:
    """Add a question to a space's request form (last), or change one. Past answers keep the
    text they were given with. Raises PermissionDenied unless the actor manages the space,
    ValidationError naming the field."""
    space_check_manager(actor=actor, space_id=question.space_id)
    # The space locked: two managers adding at once get positions one after the other.
    Space.objects.select_for_update().filter(pk=question.space_id).exists()
    _question_clean(question)
    if question.pk is None:
        existing = RequestQuestion.objects.filter(space_id=question.space_id)
        if existing.count() >= MAX_QUESTIONS:
            raise ValidationError(
                _("A request form has at most %(n)s questions.") % {"n": MAX_QUESTIONS}
            )
        last = existing.order_by("-position").values_list("position", flat=True).first()
        question.position = 0 if last is None else min(last + 1, 1000)
    question.save()
    return question


@transaction.atomic
def request_question_delete(*, question: RequestQuestion, actor: User) -> None:
    """Remove a question from the form; the answers already given keep their text."""
    space_check_manager(actor=actor, space_id=question.space_id)
    question.delete()


@transaction.atomic
def request_question_move(*, question: RequestQuestion, actor: User, up: bool) -> bool:
    """Move a question one place up or down. Returns False at either end."""
    space_check_manager(actor=actor, space_id=question.space_id)
    Space.objects.select_for_update().filter(pk=question.space_id).exists()
    ordered = list(RequestQuestion.objects.filter(space_id=question.space_id))
    index = next(i for i, row in enumerate(ordered) if row.pk == question.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        row.position = position
    RequestQuestion.objects.bulk_update(ordered, ["position"])
    return True


# --- A request's answers (called by booking_request) ---------------------------------------------


@dataclass
class CheckedConditions:
    """What `_conditions_check` accepted, to write once the booking exists."""

    answers: list[BookingAnswer] = field(default_factory=list)
    files: list[tuple[RequestQuestion, UploadedFile, str]] = field(default_factory=list)
    house_rules_accepted_at: datetime | None = None
    # A file the approval waits for (the insurance certificate the space requires, a required
    # file question left for later): the request cannot be confirmed at once, whoever asks.
    awaits_files: bool = False


def _unanswered(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _answer_value(question: RequestQuestion, value: object) -> str:
    """The answer as kept, or ValidationError with a message for the requester."""
    if question.kind == QuestionKind.YES_NO:
        if isinstance(value, bool):
            return "yes" if value else "no"
        text = str(value).strip().lower() if isinstance(value, str | int) else ""
        if text in _YES:
            return "yes"
        if text in _NO:
            return "no"
        raise ValidationError(_("Answer yes or no."))
    if question.kind == QuestionKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(_("Give a whole number."))
        text = str(value).strip()
        # Bounded before int(): a string of a million digits would take seconds to convert.
        if len(text) > 12 or not text.lstrip("-").isdigit():
            if text.lstrip("-").isdigit():
                raise ValidationError(_("This number is far too large."))
            raise ValidationError(_("Give a whole number."))
        number = int(text)
        low = question.min_value if question.min_value is not None else -MAX_ANSWER_NUMBER
        high = question.max_value if question.max_value is not None else MAX_ANSWER_NUMBER
        if not low <= number <= high:
            raise ValidationError(
                _("Give a number between %(low)s and %(high)s.") % {"low": low, "high": high}
            )
        return str(number)
    if not isinstance(value, str):
        raise ValidationError(_("Give a text answer."))
    text = value.strip()
    if question.kind == QuestionKind.CHOICE:
        if text not in question.option_list:
            raise ValidationError(_("Choose one of the options offered."))
        return text
    validate_single_line(text)
    if len(text) > MAX_TEXT_ANSWER:
        raise ValidationError(_("Answer in at most %(n)s characters.") % {"n": MAX_TEXT_ANSWER})
    return text


def _file_checked(upload: object) -> str:
    if not isinstance(upload, UploadedFile):
        raise ValidationError(_("Attach a PDF, JPEG or PNG file."))
    return document_check(upload)


def _conditions_check(
    *,
    space: Space,
    answers: Mapping[int, object] | None,
    house_rules_accepted: bool,
    now: datetime,
    asks_questions: bool = True,
) -> CheckedConditions:
    """Check a request's answers against the space's questions and its house rules; nothing is
    written. Raises ValidationError naming each field at fault (`question_<id>`, `answers`,
    `house_rules_accepted`).

    A file question is never required at request time: like the insurance certificate, the
    requester may attach the file afterwards, and the approval waits for it.

    `asks_questions=False`: the caller read, with the space, that it has no question (no query).
    """
    asks = asks_questions and space.pk
    questions = list(RequestQuestion.objects.filter(space=space)) if asks else []
    answers = answers or {}
    errors: dict[str, list[str]] = {}
    known = {question.pk for question in questions}
    unknown = [key for key in answers if key not in known]
    if unknown:
        errors["answers"] = [
            _("These questions are not asked for this space: %(ids)s.")
            % {"ids": ", ".join(str(key) for key in unknown[:10])}
        ]
    checked = CheckedConditions()
    for position, question in enumerate(questions):
        value = answers.get(question.pk)
        name = answer_field(question.pk)
        try:
            if question.kind == QuestionKind.FILE:
                if value is not None:
                    kind = _file_checked(value)
                    checked.files.append((question, value, kind))
                continue
            if _unanswered(value):
                if question.required:
                    raise ValidationError(_("This question requires an answer."))
                continue
            checked.answers.append(
                BookingAnswer(
                    question=question,
                    position=position,
                    question_text=question.text,
                    kind=question.kind,
                    value=_answer_value(question, value),
                )
            )
        except ValidationError as exc:
            errors[name] = exc.messages
    if space.house_rules.strip():
        if house_rules_accepted:
            checked.house_rules_accepted_at = now
        else:
            errors["house_rules_accepted"] = [
                _("Accept the house rules of the space to send your request.")
            ]
    if errors:
        raise ValidationError(errors)
    given = {question.pk for question, _upload, _kind in checked.files}
    checked.awaits_files = space.insurance_required or any(
        question.kind == QuestionKind.FILE and question.required and question.pk not in given
        for question in questions
    )
    return checked


def _answers_write(*, booking: Booking, checked: CheckedConditions, actor: User) -> None:
    """Keep the checked answers with the new booking (one INSERT; files stored first). Must run
    inside the request's transaction. The rows are on `booking.answers_written`."""
    for answer in checked.answers:
        answer.booking = booking
    if checked.answers:
        BookingAnswer.objects.bulk_create(checked.answers)
    files = [
        _file_store(booking=booking, upload=upload, kind=kind, actor=actor, question=question)
        for question, upload, kind in checked.files
    ]
    booking.answers_written = checked.answers
    booking.files_written = files


def _file_store(
    *,
    booking: Booking,
    upload: UploadedFile,
    kind: str,
    actor: User,
    question: RequestQuestion | None,
) -> BookingFile:
    upload.name = document_stored_name(upload.name, kind)
    row = BookingFile(
        booking=booking,
        kind=BookingFileKind.INSURANCE if question is None else BookingFileKind.ANSWER,
        question=question,
        question_text=question.text if question is not None else "",
        uploaded_by=actor,
    )
    field = "file" if question is None else answer_field(question.pk)
    # The file first, outside the row's save(): a storage that fails leaves no row.
    with storage_write(field):
        row.file.save(upload.name, upload, save=False)
    row.save()
    return row


# --- Files attached after the request -------------------------------------------------------------


@transaction.atomic
def booking_file_attach(
    *,
    booking: Booking,
    actor: User,
    upload: UploadedFile,
    question: RequestQuestion | None = None,
) -> BookingFile:
    """Attach the event's insurance certificate (`question` None) or a file question's answer
    to a booking still pending or confirmed. Anyone who sees the booking may (its requesting
    organisation's members, its managers). Raises PermissionDenied (404) for others,
    ValidationError naming the field (a file refused by `accounts.files.document_check`, a
    question of another space or not a file question, a booking no longer active)."""
    side = booking_comment_side(actor=actor, booking=booking)  # PermissionDenied for others
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status not in OCCUPYING:
        raise ValidationError(
            {"file": _("This booking is no longer active: nothing can be attached to it.")}
        )
    field = "file"
    if question is not None and (
        question.space_id != booking.space_id or question.kind != QuestionKind.FILE
    ):
        raise ValidationError({"question": _("This question asks for no file here.")})
    try:
        kind = _file_checked(upload)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    row = _file_store(booking=booking, upload=upload, kind=kind, actor=actor, question=question)
    notify_file(row, side=side, removed=False)
    return row


@transaction.atomic
def booking_file_remove(*, booking_file: BookingFile, actor: User) -> None:
    """Remove a file attached to a request still awaiting its decision: a wrong document, to
    be replaced. Its requesting organisation's members may; once the request is decided its
    documents are kept, as what the decision rested on. The removal is written in the
    booking's history, the people who decide are told, and the stored file is deleted once
    the removal is committed. Raises PermissionDenied (404) for those who do not see the booking,
    DecisionNotAllowed (403) for its managers, ValidationError once it is decided."""
    booking = Booking.objects.select_for_update().get(pk=booking_file.booking_id)
    if booking_comment_side(actor=actor, booking=booking) != CommentSide.REQUESTER:
        raise DecisionNotAllowed(
            _("Only the requesting structure removes the documents it attached.")
        )
    if booking.status != BookingStatus.PENDING:
        raise ValidationError(
            _(
                "This booking is decided: its documents are kept with it. Attach a new one if "
                "needed."
            )
        )
    row = BookingFile.objects.filter(pk=booking_file.pk, booking=booking).first()
    if row is None:
        return  # removed meanwhile: nothing left to do
    title = row.question_text or _("insurance certificate for the event")
    BookingLog.objects.create(
        booking=booking,
        from_status=booking.status,
        to_status=booking.status,
        actor=actor,
        reason=_("Document removed: %(title)s.") % {"title": title},
    )
    row.delete()  # its stored file goes after the commit (core.storage.files_delete_with_row)
    notify_file(row, side=CommentSide.REQUESTER, removed=True)


# --- Before an approval ------------------------------------------------------------------------


def _approval_check(booking: Booking) -> None:
    """Refuse (ConditionsUnmet, 409) the approval of a pending request whose conditions are not
    met yet. Checks no permission: booking_approve did."""
    if booking.status != BookingStatus.PENDING:
        return  # already decided: the transition says so, or does nothing
    missing = booking_conditions_missing(booking)
    if missing:
        raise ConditionsUnmet(booking.status, BookingStatus.CONFIRMED, missing)
