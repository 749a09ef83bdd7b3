"""Forms of booking requests (a slot or a series), the availability search, and the reasons given
when deciding on or cancelling a booking."""

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from bookings.forms.behalf import OrganisationChoiceField
from bookings.models import Booking, Frequency
from bookings.rules import NonExistentLocalTimeError, Period, local_period
from bookings.selectors import local_zone
from core.fields import MultiLineFormField, SingleLineFormField
from core.forms import AccessibleForm, BoundedDateField
from core.validators import bounds_of
from spaces.models import MAX_PEOPLE, Space

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")


class SlotForm(AccessibleForm):
    """A date and local start/end times; gives `period` (aware) once valid."""

    date = BoundedDateField(label=_("Date"), widget=_DATE)
    start_time = forms.TimeField(label=_("From"), widget=_TIME)
    end_time = forms.TimeField(label=_("To"), widget=_TIME, help_text=_("00:00 means midnight."))

    def clean(self) -> dict:
        cleaned = super().clean()
        day, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day is None or start is None or end is None:
            return cleaned
        if end != time(0) and end <= start:
            self.add_error("end_time", _("The end must be after the start."))
            return cleaned
        try:
            cleaned["period"] = local_period(day, start, end, local_zone())
        except NonExistentLocalTimeError as exc:
            field = "start_time" if exc.local.time() == start else "end_time"
            self.add_error(
                field,
                _("%(time)s does not exist on that day in France: clocks go forward that night.")
                % {"time": exc.local.strftime("%H:%M")},
            )
        return cleaned

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]


class BookingRequestForm(SlotForm):
    organisation = OrganisationChoiceField(
        label=_("On behalf of"), queryset=Organisation.objects.none(), empty_label=None
    )
    purpose = SingleLineFormField(
        label=_("Purpose"), max_length=200, help_text=_("E.g. board meeting.")
    )
    attendees = forms.IntegerField(
        label=_("Number of attendees"), **bounds_of(Booking, "attendees")
    )
    frequency = forms.ChoiceField(
        label=_("Repeat"), choices=Frequency.choices, initial=Frequency.ONCE
    )
    repeat_until = BoundedDateField(
        label=_("Until"),
        required=False,
        widget=_DATE,
        help_text=_("For a series: last possible date."),
    )
    repeat_count = forms.IntegerField(
        label=_("Or number of times"), required=False, **bounds_of(Booking, "repeat_count")
    )
    skip_conflicts = forms.BooleanField(
        label=_("Skip the dates that are already taken"), required=False
    )

    field_order = [
        "organisation",
        "purpose",
        "attendees",
        "date",
        "start_time",
        "end_time",
        "frequency",
        "repeat_until",
        "repeat_count",
        "skip_conflicts",
    ]

    def __init__(
        self,
        *args,
        organisations: QuerySet[Organisation],
        behalf: Callable[[], QuerySet[Organisation]] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        # The structures the user may book for on their behalf (issue 16), asked only when
        # the organisation sent is not one of theirs.
        self.fields["organisation"].behalf = behalf

    def offer_behalf(self, organisations: QuerySet[Organisation]) -> None:
        """List `organisations` (the user's and those they may book for) in the field, for an
        agent: a longer list, with a filter box (bookings/structure_filter.js)."""
        field = self.fields["organisation"]
        field.queryset = organisations
        field.label = _("For which structure")
        field.help_text = _(
            "One of your organisations, or any structure verified by the intercommunality: "
            "booked on its behalf, it sees the booking, is told by e-mail and may cancel it."
        )
        field.widget.attrs["data-filter-label"] = str(_("Filter the structures by name"))
        self._bound_fields_cache.pop("organisation", None)
        self._set_aria()


class AvailabilitySearchForm(SlotForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        tomorrow = timezone.localdate() + timedelta(days=1)
        self.fields["date"].initial = tomorrow
        self.fields["start_time"].initial = time(14)
        self.fields["end_time"].initial = time(16)

    def clean(self) -> dict:
        cleaned = super().clean()
        period = cleaned.get("period")
        if period is not None and period.start < timezone.now():
            self.add_error("date", _("This date is past: choose a date to come."))
        return cleaned


class WidgetSearchForm(AvailabilitySearchForm):
    """The availability widget's search: a slot and, optionally, how many people."""

    capacity = forms.IntegerField(
        label=_("Number of people"), required=False, min_value=1, max_value=MAX_PEOPLE
    )

    def initial_data(self) -> dict[str, str]:
        """The slot shown before any search (tomorrow, 14:00 to 16:00), as a query would give."""
        return {
            name: self.fields[name].widget.format_value(self.fields[name].initial)
            for name in ("date", "start_time", "end_time")
        }


class ReasonForm(AccessibleForm):
    """The reason of a refusal (the approval asks for none) or of a cancellation."""

    reason = MultiLineFormField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the requester."),
    )


class CancelForm(ReasonForm):
    occurrence_start = forms.TypedChoiceField(
        label=_("What to cancel"), required=False, coerce=str, empty_value=""
    )
    and_following = forms.BooleanField(label=_("and the following dates"), required=False)

    def __init__(self, *args, booking: Booking, by_manager: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Who reads the reason: the requester when a manager cancels, the managers when the
        # requester cancels its own booking (never "sent to the requester" to the requester).
        self.fields["reason"].help_text = (
            _("Sent to the requester.") if by_manager else _("Sent to the managers of the space.")
        )
        self._bound_fields_cache.pop("reason", None)  # a BoundField copies the help text
        zone = local_zone()
        dates = booking.occupancies.filter(active=True).order_by("start")
        self.fields["occurrence_start"].choices = [("", _("The whole booking"))] + [
            (row.start.isoformat(), row.start.astimezone(zone).strftime("%d/%m/%Y %H:%M"))
            for row in dates
        ]


class BulkDecisionForm(AccessibleForm):
    """The approval queue's decision: a row's own button (`row`, "approve-12" or "refuse-12")
    or a bulk button (`decision`) over the ticked rows (`bookings`), with one reason shared by
    both (required to refuse).

    The ticked ids are only read here, not checked: the view decides those it finds among the
    requests awaiting the user's decision and reports the others (decided meanwhile, or not
    theirs), so one stale row never loses the rest.
    """

    APPROVE, REFUSE = "approve", "refuse"
    reason = MultiLineFormField(
        label=_("Reason (required to refuse)"),
        help_text=_("Sent to the requester. The same reason applies to every refused request."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (REFUSE, _("Refuse"))],
        required=False,
        widget=forms.HiddenInput,
    )
    row = SingleLineFormField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        selected = [int(value) for value in self.data.getlist("bookings") if value.isdigit()]
        cleaned["selected"] = selected
        row = cleaned.get("row") or ""
        decision, _sep, pk = row.partition("-")
        if row and decision in (self.APPROVE, self.REFUSE) and pk.isdigit():
            cleaned["decision"], cleaned["targets"] = decision, [int(pk)]
        elif cleaned.get("decision") in (self.APPROVE, self.REFUSE):
            cleaned["targets"] = selected
            if not selected:
                raise forms.ValidationError(_("Tick at least one request, then choose."))
        else:
            raise forms.ValidationError(_("Choose a decision: approve or refuse."))
        if cleaned["decision"] == self.REFUSE and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give a reason: it is sent to the requester."))
        return cleaned


class RoomChoiceField(forms.ModelChoiceField):
    """A room, offered grouped by building (one `<optgroup>` per site). Its queryset must
    select the site and be ordered by the site's name (one query draws the list)."""

    def group_by_building(self) -> None:
        groups: dict[str, list[tuple[int, str]]] = {}
        for space in self.queryset:
            groups.setdefault(space.site.name, []).append((space.pk, space.name))
        self.choices = list(groups.items())


class BookingChangeForm(SlotForm):
    """A booking's new time, room, attendees and purpose (issue 16), filled with its current
    values; the service checks everything (`bookings.services.changes`)."""

    space = RoomChoiceField(label=_("Room"), queryset=Space.objects.none(), empty_label=None)
    purpose = SingleLineFormField(label=_("Purpose"), max_length=200)
    attendees = forms.IntegerField(
        label=_("Number of attendees"), **bounds_of(Booking, "attendees")
    )
    reason = MultiLineFormField(
        label=_("Why (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent with the change to the other side."),
    )

    field_order = [
        "space",
        "date",
        "start_time",
        "end_time",
        "attendees",
        "purpose",
        "reason",
    ]

    def __init__(self, *args, booking: Booking, spaces: QuerySet[Space], **kwargs) -> None:
        start = booking.start.astimezone(local_zone())
        end = booking.end.astimezone(local_zone())
        kwargs.setdefault(
            "initial",
            {
                "space": booking.space_id,
                "date": start.date(),
                "start_time": start.time(),
                "end_time": end.time(),
                "purpose": booking.purpose,
                "attendees": booking.attendees,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = spaces
        self.fields["space"].group_by_building()


class SeriesChangeForm(AccessibleForm):
    """A series changed from a date (issue 16): from that day on, its times, its room and its
    last day; its attendees and purpose for the whole booking. Filled with its current
    values; the service checks everything (`bookings.services.series`). The new room's
    questions and house rules: `RequestAnswersForm`, beside it."""

    from_date = BoundedDateField(
        label=_("Change from"),
        widget=_DATE,
        help_text=_("The dates before this day do not change."),
    )
    start_time = forms.TimeField(label=_("Start time"), widget=_TIME)
    end_time = forms.TimeField(
        label=_("End time"), widget=_TIME, help_text=_("00:00 means midnight.")
    )
    space = RoomChoiceField(label=_("Room"), queryset=Space.objects.none(), empty_label=None)
    until = BoundedDateField(
        label=_("Last date of the series"),
        widget=_DATE,
        help_text=_("Earlier to shorten the series, later to extend it (12 months at most)."),
    )
    attendees = forms.IntegerField(
        label=_("Number of attendees"),
        help_text=_("For every date of the series."),
        **bounds_of(Booking, "attendees"),
    )
    purpose = SingleLineFormField(
        label=_("Purpose"), max_length=200, help_text=_("For every date of the series.")
    )
    reason = MultiLineFormField(
        label=_("Why (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent with the change to the other side."),
    )

    def __init__(
        self,
        *args,
        booking: Booking,
        spaces: QuerySet[Space],
        next_date: datetime | None,
        **kwargs,
    ) -> None:
        zone = local_zone()
        event = booking.event
        start = (event.start if event else booking.start).astimezone(zone)
        end = (event.end if event else booking.end).astimezone(zone)
        last = event.end_recurring_period if event and event.end_recurring_period else booking.end
        kwargs.setdefault(
            "initial",
            {
                "from_date": (next_date or booking.start).astimezone(zone).date(),
                "start_time": start.time(),
                "end_time": end.time(),
                "space": booking.space_id,
                "until": (last - timedelta(microseconds=1)).astimezone(zone).date(),
                "attendees": booking.attendees,
                "purpose": booking.purpose,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = spaces
        self.fields["space"].group_by_building()
