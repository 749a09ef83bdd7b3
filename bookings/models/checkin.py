"""Check-in at the door and no-shows (issue 16).

A space's managers may require that a booked date be checked in: a member of the booking's
structure says "I have arrived" from the booking's page, or from the space's door page reached
by a QR code. A confirmed date not checked in `grace_minutes` after its start is a no-show: a
periodic job (`bookings.services.checkin.bookings_release_no_shows`) ends its Occupancy row
at the release moment, so the rest of the slot can be booked by others, and marks it
(`Occupancy.no_show_at`). The state of each date lives on its Occupancy row, written by the
Occupancy writer alone (`bookings.services.occupancy`).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.validators import bounded

GRACE_MINUTES_MIN = 5
GRACE_MINUTES_MAX = 120
GRACE_MINUTES_DEFAULT = 15
# How long before a date's start its check-in opens.
CHECK_IN_OPENS_BEFORE_MINUTES = 30


class CheckInSetting(models.Model):
    """Whether a space's dates must be checked in, how long after the start they are kept, and
    the secret of its door link (the QR code printed at the door)."""

    space = models.OneToOneField(
        "spaces.Space",
        verbose_name=_("space"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="check_in",
    )
    required = models.BooleanField(
        _("check-in required"),
        default=False,
        help_text=_(
            "Without a check-in after the start, the rest of the slot is released for others."
        ),
    )
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace period (minutes)"),
        default=GRACE_MINUTES_DEFAULT,
        validators=bounded(GRACE_MINUTES_MIN, GRACE_MINUTES_MAX),
        help_text=_("How long after the start a booked date waits for its check-in."),
    )
    # The door link's secret (URL-safe, 43 characters); a new one makes printed codes useless.
    token = SingleLineCharField(max_length=64, unique=True, editable=False)
    token_created_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("check-in setting")
        verbose_name_plural = _("check-in settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(grace_minutes__gte=GRACE_MINUTES_MIN)
                & Q(grace_minutes__lte=GRACE_MINUTES_MAX),
                name="checkin_grace_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space_id}: {'required' if self.required else 'optional'}"
