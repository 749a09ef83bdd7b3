"""The message form of a booking's conversation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from bookings.models import COMMENT_MAX_LENGTH
from core.fields import MultiLineFormField
from core.forms import AccessibleForm


class BookingCommentForm(AccessibleForm):
    """A message to the other side. The service (bookings.services.comments) holds the rules
    and says what is wrong; the field refuses an empty or control-character text in the same
    words, and gives the browser the textarea's limit."""

    body = MultiLineFormField(
        label=_("Your message"),
        error_messages={"required": _("Write your message.")},
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": COMMENT_MAX_LENGTH}),
        help_text=_(
            "At most 5,000 characters. Read only by your structure and the people who decide "
            "on this booking; the other side is told by e-mail."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_comment_%s")  # the page has other forms
        super().__init__(*args, **kwargs)
