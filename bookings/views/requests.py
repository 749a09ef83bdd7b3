"""Availability search, booking requests, decisions and cancellations (HTML)."""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exceptions import ConflictOfInterest
from accounts.selectors import organisations_allowed_to_book_for, organisations_of
from bookings import selectors, services
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.forms import (
    AvailabilitySearchForm,
    BookingRequestForm,
    BulkDecisionForm,
    CancelForm,
    ReasonForm,
)
from bookings.models import Booking, BookingStatus
from bookings.permissions import booking_actions_for
from core.forms import form_add_service_errors, post_confirmed
from core.params import BadParameter, parse_date_param, year_in_range
from spaces.filters import SpaceFilter
from spaces.selectors import spaces_manageable_by, spaces_visible_to


@require_GET
def availability(request: HttpRequest) -> HttpResponse:
    """Which spaces are free for a slot, with the catalogue's filters."""
    form = AvailabilitySearchForm(request.GET or None)
    space_filter = SpaceFilter(request.GET or None, queryset=None)
    results = None
    if form.is_bound and form.is_valid():
        free = selectors.spaces_available(user=request.user, period=form.period)
        results = SpaceFilter(request.GET, queryset=free).qs
    context = {"form": form, "filter": space_filter, "results": results}
    return render(request, "bookings/availability.html", context)


@require_GET
def space_week(request: HttpRequest, pk: int) -> HttpResponse:
    """A space's week: busy slots, with who booked them only for those allowed to know.

    A bad ?semaine= shows the current week with the reason, answered 400.
    """
    space = get_object_or_404(spaces_visible_to(request.user).select_related("site"), pk=pk)
    error = None
    try:
        day = parse_date_param(request.GET.get("semaine"), name="semaine")
    except BadParameter as exc:
        day, error = None, str(exc)
    day = day or timezone.localdate()
    monday = day - timedelta(days=day.weekday())
    zone = selectors.local_zone()
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    busy = selectors.busy_periods(
        user=request.user,
        space=space,
        start=start,
        end=end,
        is_manager=spaces_manageable_by(request.user).filter(pk=pk).exists(),
    )
    days = [
        {
            "date": monday + timedelta(days=offset),
            "busy": [
                b
                for b in busy
                if b["start"].astimezone(zone).date() == monday + timedelta(days=offset)
            ],
        }
        for offset in range(7)
    ]
    context = {
        "space": space,
        "days": days,
        "previous": _within_bounds(monday - timedelta(days=7)),
        "next": _within_bounds(monday + timedelta(days=7)),
        "monday": monday,
        "error": error,
    }
    return render(request, "bookings/space_week.html", context, status=400 if error else 200)


def _within_bounds(day: date) -> date | None:
    """A week to link to, or None past the dates the pages accept."""
    return day if year_in_range(day.year) else None


@login_required
@require_http_methods(["GET", "POST"])
def booking_create(request: HttpRequest, space_pk: int) -> HttpResponse:
    space = get_object_or_404(
        spaces_visible_to(request.user).filter(bookable=True).select_related("site"), pk=space_pk
    )
    organisations = organisations_allowed_to_book_for(request.user).order_by("name")
    if not organisations.exists():
        return render(request, "bookings/cannot_book.html", {"space": space}, status=403)
    form = BookingRequestForm(
        request.POST or None, initial=request.GET.dict(), organisations=organisations
    )
    clashes = None
    preview = None
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        booking_request = services.BookingRequest(
            space=space,
            organisation=values["organisation"],
            purpose=values["purpose"],
            attendees=values["attendees"],
            first=form.period,
            frequency=values["frequency"],
            repeat_until=values["repeat_until"],
            repeat_count=values["repeat_count"],
            skip_conflicts=values["skip_conflicts"],
        )
        try:
            if "preview" in request.POST:
                preview = services.booking_request_preview(
                    request=booking_request, requested_by=request.user
                )
            else:
                booking = services.booking_request(
                    request=booking_request, requested_by=request.user
                )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except BookingConflict as exc:
            clashes = _clash_rows(exc)
            form.add_error(None, str(exc.message))
        else:
            if preview is None:
                if booking.status == BookingStatus.CONFIRMED:
                    messages.success(request, _("Your booking is confirmed."))
                else:
                    messages.success(
                        request,
                        _("Your request was sent to the manager, who will answer by e-mail."),
                    )
                return redirect(booking.get_absolute_url())
    status = 409 if clashes else (400 if form.is_bound and form.errors else 200)
    context = {"form": form, "space": space, "clashes": clashes, "preview": preview}
    return render(request, "bookings/booking_form.html", context, status=status)


def _clash_rows(exc: BookingConflict) -> list[dict]:
    seen, rows = set(), []
    for requested, occupied in exc.clashes:
        if requested in seen:
            continue
        seen.add(requested)
        rows.append({"requested": requested, "occupied": occupied})
    return rows


@login_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    bookings = (
        selectors.booking_detail(user=request.user)
        .filter(organisation__in=organisations_of(request.user))
        .order_by("-start")
    )
    return render(request, "bookings/booking_list.html", {"bookings": bookings})


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(selectors.booking_detail(user=request.user), pk=pk)
    # A manager who belongs to the requesting organisation decides nothing on it (a colleague
    # does) and cancels as its requester: bookings.permissions, which the services check.
    actions = booking_actions_for(user=request.user, booking=booking)
    context = {
        "booking": booking,
        "occurrences": selectors.booking_occupancies(booking=booking),
        "log": booking.log.select_related("actor"),
        "is_manager": actions.is_manager,
        "can_decide": actions.can_decide,
        "can_cancel": actions.can_cancel,
        "cancel_form": CancelForm(booking=booking, by_manager=actions.can_decide)
        if booking.occupies
        else None,
        # Its own ids: the cancel form on the same page has a "reason" field too.
        "refuse_form": ReasonForm(auto_id="id_refuse_%s")
        if actions.can_decide and booking.status == BookingStatus.PENDING
        else None,
    }
    return render(request, "bookings/booking_detail.html", context)


def _done(request: HttpRequest, booking: Booking, changed: bool, text: str) -> HttpResponse:
    if changed:
        messages.success(request, text)
    else:
        messages.info(request, _("Nothing to do: the booking was already in that state."))
    return redirect(booking.get_absolute_url())


@login_required
@require_POST
def booking_approve(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
    try:
        changed = services.booking_approve(booking=booking, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, exc.message())
        return redirect(booking.get_absolute_url())
    return _done(request, booking, changed, _("The booking is approved; the requester is told."))


@login_required
@require_POST
def booking_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse with a reason, after a confirmation page that says the requester is told it."""
    booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason: it is sent to the requester."))
        return redirect(booking.get_absolute_url())
    if not post_confirmed(request):
        return render(
            request,
            "bookings/booking_confirm.html",
            {"booking": booking, "action": "refuse", "form": form},
        )
    try:
        changed = services.booking_refuse(
            booking=booking, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except InvalidTransition as exc:
        messages.error(request, exc.message())
        return redirect(booking.get_absolute_url())
    return _done(request, booking, changed, _("The request is refused; the requester is told why."))


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the booking or some of its dates, after a confirmation page that says what is
    cancelled, who is told and what is refunded."""
    booking = get_object_or_404(selectors.bookings_visible_to(request.user), pk=pk)
    actions = booking_actions_for(user=request.user, booking=booking)
    form = CancelForm(request.POST, booking=booking, by_manager=actions.can_decide)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect(booking.get_absolute_url())
    chosen = form.cleaned_data["occurrence_start"]
    if not post_confirmed(request):
        context = {
            "booking": booking,
            "action": "cancel",
            "form": form,
            "chosen": dict(form.fields["occurrence_start"].choices).get(chosen) if chosen else "",
            "by_manager": actions.can_decide,
        }
        return render(request, "bookings/booking_confirm.html", context)
    try:
        count = services.booking_cancel(
            booking=booking,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            occurrence_start=parse_datetime(chosen) if chosen else None,
            and_following=form.cleaned_data["and_following"],
        )
    except (ValidationError, InvalidTransition) as exc:
        text = exc.message() if isinstance(exc, InvalidTransition) else " ".join(exc.messages)
        messages.error(request, text)
    else:
        messages.success(request, _("%(n)s date(s) cancelled.") % {"n": count})
    return redirect(booking.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def pending(request: HttpRequest) -> HttpResponse:
    """Requests awaiting a decision on the user's sites, decided one by one or in bulk."""
    queryset = selectors.bookings_pending_for(request.user)
    form = BulkDecisionForm(request.POST or None, pending=queryset)
    if request.method == "POST" and form.is_valid():
        done = 0
        for booking in form.cleaned_data["bookings"]:
            try:
                if form.cleaned_data["decision"] == BulkDecisionForm.APPROVE:
                    done += services.booking_approve(booking=booking, actor=request.user)
                else:
                    done += services.booking_refuse(
                        booking=booking, actor=request.user, reason=form.cleaned_data["reason"]
                    )
            except InvalidTransition:
                continue  # decided meanwhile by someone else
            except ConflictOfInterest as exc:
                messages.error(request, exc.message)  # the others are decided all the same
        messages.success(request, _("%(n)s request(s) decided.") % {"n": done})
        return redirect("bookings:pending")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "bookings/pending.html", {"form": form, "pending": queryset}, status=status
    )
