"""Reads of the conditions of requests (issue 16): a space's questions, a booking's answers
and files, and what is still missing before a request may be approved."""

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from accounts.selectors import AnyUser
from bookings.models import (
    Booking,
    BookingAnswer,
    BookingFile,
    BookingFileKind,
    QuestionKind,
    RequestQuestion,
)
from bookings.selectors.bookings import bookings_visible_to
from spaces.selectors import spaces_manageable_by


def request_questions_of(*, space_id: int) -> QuerySet[RequestQuestion]:
    """A space's questions, in the order of its request form."""
    return RequestQuestion.objects.filter(space_id=space_id).order_by("position", "pk")


def request_questions_manageable_by(user: AnyUser) -> QuerySet[RequestQuestion]:
    return RequestQuestion.objects.filter(
        space__in=spaces_manageable_by(user).values("pk")
    ).select_related("space")


def booking_answers_of(*, booking: Booking) -> QuerySet[BookingAnswer]:
    return BookingAnswer.objects.filter(booking=booking).order_by("position", "pk")


def booking_files_of(*, booking: Booking) -> QuerySet[BookingFile]:
    return BookingFile.objects.filter(booking=booking).order_by("uploaded_at", "pk")


def booking_files_visible_to(user: AnyUser) -> QuerySet[BookingFile]:
    """The files of the bookings the user sees (its organisation's members, its managers)."""
    return BookingFile.objects.filter(booking__in=bookings_visible_to(user).values("pk"))


def booking_conditions_missing(booking: Booking) -> list[str]:
    """What must still be attached before `booking` may be approved, in plain words: the
    event's insurance certificate if the space requires it, and the files of required file
    questions asked when the request was made."""
    missing: list[str] = []
    space = booking.space
    if (
        space.insurance_required
        and not BookingFile.objects.filter(booking=booking, kind=BookingFileKind.INSURANCE).exists()
    ):
        missing.append(
            _(
                "the insurance certificate for the event is missing (the requester attaches it "
                "from the booking's page)."
            )
        )
    unanswered = (
        RequestQuestion.objects.filter(
            space_id=booking.space_id,
            kind=QuestionKind.FILE,
            required=True,
            created_at__lte=booking.created_at,
        )
        .exclude(Exists(BookingFile.objects.filter(booking=booking, question=OuterRef("pk"))))
        .values_list("text", flat=True)
    )
    missing.extend(
        _("the file “%(question)s” is missing.") % {"question": text} for text in unanswered
    )
    return missing
