"""The message form of an application's conversation: the booking's (same rules, same field),
saying who reads it."""

from django.utils.translation import gettext_lazy as _

from bookings.forms import BookingCommentForm


class ApplicationCommentForm(BookingCommentForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "At most 5,000 characters. Read only by your structure and the people who decide "
            "on this call's applications; the other side is told by e-mail."
        )
