"""Several rooms at once (issue 16): the request page's other rooms of the building, the group
on a booking's page, the group's own page, and "approve all", "refuse all" (from the group's
page or the approval queue) and "cancel all" (from the group's page)."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.conflicts import user_has_conflict_with
from accounts.exceptions import DecisionNotAllowed
from accounts.selectors import organisations_of
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.forms import ReasonForm
from bookings.models import MAX_GROUP_SPACES, OCCUPYING, Booking, BookingGroup, BookingStatus
from bookings.selectors import spaces_bookable_by
from bookings.selectors.groups import (
    booking_group_page_rooms,
    booking_group_pending_count,
    booking_group_rooms,
    booking_groups_manageable_by,
    booking_groups_visible_to,
)
from bookings.services.groups import (
    booking_group_approve,
    booking_group_cancel,
    booking_group_refuse,
)
from core.formats import slot_texts
from core.forms import AccessibleForm, post_confirmed


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
    approval queue (`?file=1`) or to the group's page."""
    group = get_object_or_404(booking_groups_manageable_by(request.user), pk=pk)
    return _decide_all(
        request,
        group,
        lambda: booking_group_approve(group=group, actor=request.user),
        ngettext_lazy(
            "%(n)s room approved; the requester is told.",
            "%(n)s rooms approved; the requester is told.",
            "n",
        ),
    )


def _decide_all(
    request: HttpRequest, group: BookingGroup, decide: Callable[[], int], done: str
) -> HttpResponse:
    """Approve or refuse (`decide`, all or none: the number of rooms decided) every room of the
    group still awaiting a decision; say how many with `done` (an `ngettext_lazy` of its
    singular and plural texts, counted by `%(n)s`) or why nothing was decided; back to the
    approval queue (`?file=1`) or to the group's page."""
    try:
        count = decide()
    except InvalidTransition as exc:
        messages.error(request, exc.message())
    except DecisionNotAllowed as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        messages.error(request, _("You may not decide on every room of this request."))
    else:
        if count:
            messages.success(request, done % {"n": count})
        else:
            messages.info(request, _("Nothing to do: no room of this request awaits a decision."))
    return _back(request, group)


def _back(request: HttpRequest, group: BookingGroup) -> HttpResponse:
    """Back to the approval queue (`?file=1`, where the action was taken) or the group's page."""
    if request.GET.get("file"):
        return redirect(reverse("bookings:pending"))
    return redirect(reverse("bookings:group-detail", args=[group.pk]))


def _refuse_form(data=None) -> ReasonForm:
    # Its own ids: the cancel form on the same page has a "reason" field too.
    return ReasonForm(data, auto_id="id_refuse_%s")


def _cancel_form(data=None) -> ReasonForm:
    form = ReasonForm(data, auto_id="id_cancel_%s")
    form.fields["reason"].help_text = _("Sent to the requester and to the managers of the rooms.")
    return form


def _group_page(
    request: HttpRequest, group: BookingGroup, *, refuse_form=None, cancel_form=None
) -> HttpResponse:
    """The group's page: its rooms, and what the user may do to them all. A constant number of
    queries whatever the number of rooms (the rooms in one, the user's standing in three)."""
    rooms = booking_group_page_rooms(group_id=group.pk)
    for room, text in zip(rooms, slot_texts((room.start, room.end) for room in rooms), strict=True):
        room.slot_text = text
    pending = booking_group_pending_count(rooms)
    booked = sum(1 for room in rooms if room.status in OCCUPYING)
    user = request.user
    is_manager = booking_groups_manageable_by(user).filter(pk=group.pk).exists()
    # A manager who belongs to the structure decides nothing on it and cancels as its member.
    can_decide = is_manager and not user_has_conflict_with(user, group.organisation)
    is_member = organisations_of(user).filter(pk=group.organisation_id).exists()
    can_decide_now = can_decide and pending > 0
    can_cancel = booked > 0 and (is_manager or is_member)
    context = {
        "group": group,
        "rooms": rooms,
        "pending": pending,
        "booked": booked,
        "is_manager": is_manager,
        "can_decide": can_decide_now,
        "can_cancel": can_cancel,
        "notice_hours": sorted({room.space.cancellation_notice_hours for room in rooms}),
        "refuse_form": (refuse_form or _refuse_form()) if can_decide_now else None,
        "cancel_form": (cancel_form or _cancel_form()) if can_cancel else None,
    }
    status = 400 if (refuse_form or cancel_form) else 200
    return render(request, "bookings/group_detail.html", context, status=status)


def _group_of(user, pk: int) -> BookingGroup:
    return get_object_or_404(
        booking_groups_visible_to(user).select_related("site", "organisation"), pk=pk
    )


@login_required
@require_GET
def booking_group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The page of rooms requested together (404 to whoever sees none of them)."""
    return _group_page(request, _group_of(request.user, pk))


@login_required
@require_POST
def booking_group_refuse_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse every room of the group still awaiting a decision, with one reason, after a
    confirmation page; back to the approval queue (`?file=1`) or the group's page. Without a
    reason, the group's page with the error on its field."""
    group = get_object_or_404(
        booking_groups_manageable_by(request.user).select_related("site", "organisation"), pk=pk
    )
    form = _refuse_form(request.POST)
    if not form.is_valid():
        return _group_page(request, group, refuse_form=form)
    if not post_confirmed(request):
        return _confirm_page(request, group, "refuse", form)
    return _decide_all(
        request,
        group,
        lambda: booking_group_refuse(
            group=group, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        ngettext_lazy(
            "%(n)s room refused; the requester is told why.",
            "%(n)s rooms refused; the requester is told why.",
            "n",
        ),
    )


@login_required
@require_POST
def booking_group_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel every room of the group still booked or awaiting a decision, with one reason,
    after a confirmation page; back to the group's page."""
    group = _group_of(request.user, pk)
    form = _cancel_form(request.POST)
    if not form.is_valid():
        return _group_page(request, group, cancel_form=form)
    if not post_confirmed(request):
        return _confirm_page(request, group, "cancel", form)
    try:
        count = booking_group_cancel(
            group=group, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except InvalidTransition as exc:
        messages.error(request, exc.message())
    except DecisionNotAllowed as exc:
        messages.error(request, exc.message)
    else:
        if count:
            messages.success(
                request,
                ngettext(
                    "%(n)s room cancelled; the people concerned are told.",
                    "%(n)s rooms cancelled; the people concerned are told.",
                    count,
                )
                % {"n": count},
            )
        else:
            messages.info(request, _("Nothing to do: no room of this request is still booked."))
    return _back(request, group)


def _confirm_page(
    request: HttpRequest, group: BookingGroup, action: str, form: ReasonForm
) -> HttpResponse:
    rooms = booking_group_page_rooms(group_id=group.pk)
    if action == "refuse":
        concerned = [room for room in rooms if room.status == BookingStatus.PENDING]
    else:
        concerned = [room for room in rooms if room.status in OCCUPYING]
    context = {
        "group": group,
        "action": action,
        "form": form,
        "rooms": concerned,
        # Kept through the confirmation: the queue gets its page back.
        "file": bool(request.GET.get("file")),
    }
    return render(request, "bookings/group_confirm.html", context)
