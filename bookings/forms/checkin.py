"""Forms of check-in (issue 16): a space's setting, for its managers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from bookings.models import GRACE_MINUTES_DEFAULT, GRACE_MINUTES_MAX, GRACE_MINUTES_MIN
from core.forms import AccessibleForm


class CheckInSettingsForm(AccessibleForm):
    required = forms.BooleanField(
        label=_("Check-in required"),
        required=False,
        help_text=_(
            "The structure says it has arrived from the booking's page or by scanning the code "
            "at the door. Without a check-in by the end of the grace period, the rest of the "
            "slot is released for others and a no-show is recorded."
        ),
    )
    grace_minutes = forms.IntegerField(
        label=_("Grace period (minutes after the start)"),
        min_value=GRACE_MINUTES_MIN,
        max_value=GRACE_MINUTES_MAX,
        initial=GRACE_MINUTES_DEFAULT,
        help_text=_("Between 5 and 120 minutes."),
    )
