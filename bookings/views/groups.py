"""Several rooms at once (issue 16): the request page's other rooms of the building, the group
on a booking's page, and "approve all" (from the booking's page or the approval queue)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.exceptions import DecisionNotAllowed
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.models import MAX_GROUP_SPACES, Booking
from bookings.selectors import spaces_bookable_by
from bookings.selectors.groups import (
    booking_group_pending_count,
    booking_group_rooms,
    booking_groups_manageable_by,
)
from bookings.services.groups import booking_group_approve
from core.forms import AccessibleForm


class OtherRoomsForm(AccessibleForm):
    """The other rooms of the building to request with the page's room (checkboxes)."""

    also = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Other rooms of this building, at the same time"),
        help_text=gettext_lazy(
            "Tick them to request them with this room: all are booked, or none. Each is "
            "decided by the manager on its own."
        ),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, rooms: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["also"].choices = rooms

    def clean_also(self) -> list[int]:
        chosen = self.cleaned_data["also"]
        if len(chosen) + 1 > MAX_GROUP_SPACES:
            raise ValidationError(
                _("At most %(n)s rooms may be requested together.") % {"n": MAX_GROUP_SPACES}
            )
        return chosen


def other_rooms_form(space_id: int, data=None) -> OtherRoomsForm:
    """The form of the rooms bookable by the hour in the same building as `space_id` (one
    query; none listed when the building has no other)."""
    rooms = list(
        spaces_bookable_by(None)
        .filter(site__spaces__pk=space_id)
        .exclude(pk=space_id)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    return OtherRoomsForm(data, rooms=rooms, prefix="salles")


def clash_rows_of_rooms(exc: BookingConflict) -> list[dict]:
    """The clashes of a request for several rooms, each with its reason (which names its
    room): every room's clash is listed, even at the same requested time."""
    reasons = exc.reasons or [""] * len(exc.clashes)
    return [
        {"requested": requested, "occupied": occupied, "reason": reason, "room": room}
        for (requested, occupied), reason, room in zip(
            exc.clashes, reasons, exc.spaces, strict=False
        )
    ]


def group_context(booking: Booking, *, can_decide: bool) -> dict:
    """The rooms requested with `booking` for its page (no query for a booking alone)."""
    if booking.group_id is None:
        return {"group_rooms": None}
    rooms = booking_group_rooms(group_id=booking.group_id)
    pending = booking_group_pending_count(rooms)
    return {
        "group_rooms": rooms,
        "group_pending": pending,
        # Deciding this room makes one a decider of all: the rooms are of one site.
        "group_can_approve": can_decide and pending > 1,
    }


@login_required
@require_POST
def booking_group_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve every room of the group still awaiting a decision, all or none; back to the
    approval queue (`?file=1`) or to the first room's page."""
    group = get_object_or_404(booking_groups_manageable_by(request.user), pk=pk)
    try:
        count = booking_group_approve(group=group, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, exc.message())
    except DecisionNotAllowed as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        messages.error(request, _("You may not decide on every room of this request."))
    else:
        if count:
            messages.success(
                request,
                ngettext(
                    "%(n)s room approved; the requester is told.",
                    "%(n)s rooms approved; the requester is told.",
                    count,
                )
                % {"n": count},
            )
        else:
            messages.info(request, _("Nothing to do: no room of this request awaits a decision."))
    if request.GET.get("file"):
        return redirect(reverse("bookings:pending"))
    first = group.bookings.order_by("pk").first()
    return redirect(first.get_absolute_url())
