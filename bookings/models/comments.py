"""Talking on a request: the messages the requesting structure and the people who decide
exchange on a booking, kept with it.

Not to be confused with `BookingMessage` (bookings/models/messages.py), the queued row from
which a worker writes a request's notifications and e-mails: a `BookingComment` is written by a
person, for the other side to read.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField

# A message is a note on a request, not a document: 5,000 characters is two pages of text.
COMMENT_MAX_LENGTH = 5000
# Past this many messages a booking's conversation is closed: a request is not a forum, and a
# script posting in a loop must not grow one page without bound.
COMMENTS_PER_BOOKING = 500


class CommentSide(models.TextChoices):
    """Who wrote a message, as the other side reads it: the structure that asked for the space,
    or the people who decide on it (site managers, the owner's staff, the intercommunality)."""

    REQUESTER = "requester", _("Requesting structure")
    MANAGER = "manager", _("Manager")


class Comment(models.Model):
    """What every conversation's message holds, whatever it is written on: a booking here, an
    application to a call (calls.ApplicationComment). A concrete message adds the thread it
    belongs to and its Meta, with `comment_constraints` under its own names."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    side = SingleLineCharField(_("side"), max_length=10, choices=CommentSide)
    body = MultiLineTextField(_("message"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("written on"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


def comment_constraints(prefix: str) -> list[models.CheckConstraint]:
    """A message's checks, named `<prefix>_side_known` and `<prefix>_body_length`. A text
    column has no length of its own: the database refuses what the service would have refused,
    whoever writes."""
    return [
        models.CheckConstraint(
            condition=models.Q(side__in=CommentSide.values), name=f"{prefix}_side_known"
        ),
        models.CheckConstraint(
            condition=models.Q(
                GreaterThanOrEqual(Length("body"), 1),
                LessThanOrEqual(Length("body"), COMMENT_MAX_LENGTH),
            ),
            name=f"{prefix}_body_length",
        ),
    ]


class BookingComment(Comment):
    """One message of a booking's conversation. `side` is the author's side when they wrote it
    (a manager who is a member of the requesting structure writes as its member)."""

    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.CASCADE,
        related_name="comments",
    )

    class Meta(Comment.Meta):
        verbose_name = _("message on a booking")
        verbose_name_plural = _("messages on bookings")
        indexes = [
            models.Index(fields=["booking", "created_at"], name="booking_comment_thread"),
        ]
        constraints = comment_constraints("booking_comment")

    def __str__(self) -> str:
        return f"booking {self.booking_id}, message {self.pk} ({self.side})"
