"""Talking on a request: a message from the requesting structure or from the people who decide,
kept with the booking, the other side told by e-mail and in their notifications."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.actors import Actor
from bookings import notifications
from bookings.models import COMMENT_MAX_LENGTH, COMMENTS_PER_BOOKING, Booking, BookingComment
from bookings.permissions import booking_comment_side
from core.validators import normalise_newlines, validate_multi_line


def comment_body_checked(body: object, *, thread_size: int, limit: int) -> str:
    """The message as it is kept: line breaks as LF, blank lines around it dropped. Raises
    ValidationError on `body` (empty, too long, a control character) and when its conversation
    already holds `thread_size` >= `limit` messages. The one rule for a message, also used by
    the conversation on an application (calls.services.comments)."""
    if thread_size >= limit:
        raise ValidationError(
            {
                "body": _(
                    "This conversation has reached %(max)s messages: continue it by e-mail "
                    "or by telephone."
                )
                % {"max": limit}
            },
            code="too_many",
        )
    text = normalise_newlines(body).strip() if isinstance(body, str) else ""
    if not text:
        raise ValidationError({"body": _("Write your message.")}, code="required")
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "body": _(
                    "A message has at most %(max)s characters; this one has %(length)s. "
                    "Shorten it or send it in two parts."
                )
                % {
                    "max": number_format(COMMENT_MAX_LENGTH, force_grouping=True),
                    "length": number_format(len(text), force_grouping=True),
                }
            },
            code="max_length",
        )
    try:
        validate_multi_line(text)
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}, code="control_character") from exc
    return text


@transaction.atomic
def booking_comment_post(*, booking: Booking, actor: Actor, body: str) -> BookingComment:
    """Write `actor`'s message `body` in the conversation of `booking` and tell the other side
    (bookings.notifications.notify_comment; the e-mails leave after the commit).

    Only the booking's structure's members and those who may decide on it write there
    (`permissions.booking_comment_side`): anyone else gets PermissionDenied (404). A message
    may be written whatever the booking's status: a refused requester may ask why.
    Raises ValidationError on `body` (empty, over COMMENT_MAX_LENGTH characters, a control
    character) and when the conversation holds COMMENTS_PER_BOOKING messages already."""
    side = booking_comment_side(actor=actor, booking=booking)
    text = comment_body_checked(
        body,
        thread_size=BookingComment.objects.filter(booking=booking).count(),
        limit=COMMENTS_PER_BOOKING,
    )
    comment = BookingComment.objects.create(booking=booking, author=actor, side=side, body=text)
    notifications.notify_comment(comment)
    return comment
