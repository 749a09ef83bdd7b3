"""Forms of the closures page: close a site or one of its spaces, add the public holidays."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings.rules import NonExistentLocalTimeError, Period, make_local
from bookings.selectors import local_zone
from core.fields import SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from spaces.models import Space

WHOLE_SITE = "site"


class ClosureForm(AccessibleForm):
    """A closure in the site's local time; whole days unless times are given.

    `cleaned_data` gains `period` (aware) and `space` (None for the whole site). The
    `cancel_bookings` box is offered only once the closure was found to hit bookings.
    """

    target = forms.ChoiceField(label=gettext_lazy("What closes"))
    start_date = BoundedDateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=gettext_lazy("Closed from (time)"),
        required=False,
        help_text=gettext_lazy("Leave empty to close from the start of the first day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_date = BoundedDateField(
        label=gettext_lazy("Last day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_time = forms.TimeField(
        label=gettext_lazy("Reopens at (time)"),
        required=False,
        help_text=gettext_lazy("Leave empty to close until the end of the last day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    reason = SingleLineFormField(
        label=gettext_lazy("Reason"),
        max_length=200,
        help_text=gettext_lazy(
            "Shown on the calendars, and sent to the organisations whose bookings are cancelled."
        ),
    )

    def __init__(self, *args, spaces: list[Space], offer_cancel: bool = False, **kwargs) -> None:
        self.spaces = {str(space.pk): space for space in spaces}
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            (WHOLE_SITE, _("The whole site (all its spaces)")),
            *((key, space.name) for key, space in self.spaces.items()),
        ]
        if offer_cancel:
            self.offer_cancel()

    def offer_cancel(self) -> None:
        """Add the box that cancels the bookings the closure hits (shown once they are listed)."""
        self.fields["cancel_bookings"] = forms.BooleanField(
            label=_("Cancel these bookings, with the reason of the closure"),
            required=False,
            help_text=_("The organisations are told by e-mail."),
        )
        self._set_aria()

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        zone = local_zone()
        start_day: date = data["start_date"]
        end_day: date = data["end_date"]
        start_at = data.get("start_time") or time(0)
        if data.get("end_time") is None:
            end_naive = datetime.combine(end_day + timedelta(days=1), time(0))
        else:
            end_naive = datetime.combine(end_day, data["end_time"])
        try:
            start = make_local(datetime.combine(start_day, start_at), zone)
        except NonExistentLocalTimeError as exc:
            self.add_error("start_time", _nonexistent_message(exc.local))
            return data
        try:
            end = make_local(end_naive, zone)
        except NonExistentLocalTimeError as exc:
            self.add_error("end_time", _nonexistent_message(exc.local))
            return data
        if end <= start:
            self.add_error("end_date", _("The end must be after the start."))
            return data
        data["period"] = Period(start, end)
        data["space"] = self.spaces.get(data["target"])
        return data


class PublicHolidaysForm(AccessibleForm):
    """Which year's French public holidays close the site."""

    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(year, str(year)) for year in (this_year, this_year + 1)]
        self.fields["year"].initial = this_year


def _nonexistent_message(local: datetime) -> str:
    return _(
        "%(time)s does not exist on %(date)s in France: clocks go forward that night. "
        "Choose another time."
    ) % {"time": local.strftime("%H:%M"), "date": date_format(local.date(), "SHORT_DATE_FORMAT")}
