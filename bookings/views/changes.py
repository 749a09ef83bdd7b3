"""Changing a booking (issue 16): its "Modifier" page. The service checks and writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from bookings import selectors, services
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.forms import BookingChangeForm, SeriesChangeForm
from bookings.models import Booking, BookingStatus
from bookings.permissions import booking_actions_for
from bookings.views.requests import _clash_rows
from core.forms import form_add_service_errors
from spaces.selectors import spaces_manageable_by, spaces_visible_to


@login_required
@require_http_methods(["GET", "POST"])
def booking_change(request: HttpRequest, pk: int) -> HttpResponse:
    """The form (GET), the change (POST): back to the booking, or the form with what is wrong
    (400) or the clashes (409). Someone who may not change it gets a 404."""
    booking = get_object_or_404(
        selectors.bookings_visible_to(request.user).select_related(
            "space__site", "organisation", "event"
        ),
        pk=pk,
    )
    actions = booking_actions_for(user=request.user, booking=booking)
    if not actions.can_change:
        raise Http404
    # The rooms offered: those the user sees (a manager: manages) that may be booked, grouped
    # by building, and the booking's own.
    rooms = (
        spaces_manageable_by(request.user)
        if actions.can_decide
        else spaces_visible_to(request.user)
    )
    spaces = (
        rooms.filter(Q(bookable=True) | Q(pk=booking.space_id))
        .select_related("site")
        .order_by("site__name", "site_id", "name", "pk")
    )
    data = request.POST or None
    form: BookingChangeForm | SeriesChangeForm
    if booking.is_series:
        next_date = (
            booking.occupancies.filter(active=True, start__gt=timezone.now())
            .order_by("start")
            .values_list("start", flat=True)
            .first()
        )
        form = SeriesChangeForm(data, booking=booking, spaces=spaces, next_date=next_date)
    else:
        form = BookingChangeForm(data, booking=booking, spaces=spaces)
    clashes = None
    if request.method == "POST" and form.is_valid():
        try:
            changed = _change(form, booking, request.user)
        except ValidationError as exc:
            _errors_add(form, exc)
        except BookingConflict as exc:
            clashes = _clash_rows(exc)
            form.add_error(None, str(exc.message))
        except (InvalidTransition, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise Http404 from exc
            messages.error(request, exc.message())
            return redirect(booking.get_absolute_url())
        else:
            if changed.status == BookingStatus.PENDING and booking.status != BookingStatus.PENDING:
                text = _("The booking is changed; the managers approve it again.")
            else:
                text = _("The booking is changed; the other side is told by e-mail.")
            messages.success(request, text)
            return redirect(changed.get_absolute_url())
    status = 409 if clashes else (400 if form.is_bound and form.errors else 200)
    context = {
        "booking": booking,
        "form": form,
        "clashes": clashes,
        "can_decide": actions.can_decide,
    }
    return render(request, "bookings/booking_change.html", context, status=status)


def _change(form: BookingChangeForm | SeriesChangeForm, booking: Booking, user: User) -> Booking:
    """Call the service the form is for (a single date, or a series from a date)."""
    values = form.cleaned_data
    if isinstance(form, SeriesChangeForm):
        return services.booking_series_reschedule(
            booking=booking,
            actor=user,
            change=services.SeriesChange(
                from_date=values["from_date"],
                start_time=values["start_time"],
                end_time=values["end_time"],
                space=values["space"].pk,
                until=values["until"],
                house_rules_accepted=values["house_rules_accepted"],
                reason=values["reason"],
            ),
        )
    return services.booking_reschedule(
        booking=booking,
        actor=user,
        change=services.BookingChange(
            period=form.period,
            space=values["space"].pk,
            purpose=values["purpose"],
            attendees=values["attendees"],
            house_rules_accepted=values["house_rules_accepted"],
            reason=values["reason"],
        ),
    )


def _errors_add(form: BookingChangeForm | SeriesChangeForm, exc: ValidationError) -> None:
    """Put the service's errors on the form's fields (`start`/`end` on the times), linked to
    them (aria-describedby)."""
    start = "start_time" if isinstance(form, SeriesChangeForm) else "date"
    form_add_service_errors(form, exc, renames={"start": start, "end": "end_time"})
