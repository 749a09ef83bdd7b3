"""Changing a booking (issue 16): its "Modifier" page. The service checks and writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings import selectors, services
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.forms import BookingChangeForm
from bookings.models import BookingStatus
from bookings.permissions import booking_actions_for
from bookings.views.requests import _clash_rows
from spaces.selectors import spaces_manageable_by, spaces_visible_to


@login_required
@require_http_methods(["GET", "POST"])
def booking_change(request: HttpRequest, pk: int) -> HttpResponse:
    """The form (GET), the change (POST): back to the booking, or the form with what is wrong
    (400) or the clashes (409). Someone who may not change it gets a 404."""
    booking = get_object_or_404(
        selectors.bookings_visible_to(request.user).select_related("space__site", "organisation"),
        pk=pk,
    )
    actions = booking_actions_for(user=request.user, booking=booking)
    if not actions.can_change:
        raise Http404
    # The rooms offered: those of the booking's building the user sees (a manager: manages),
    # bookable; the API accepts any room of the platform.
    rooms = (
        spaces_manageable_by(request.user)
        if actions.can_decide
        else spaces_visible_to(request.user)
    )
    spaces = rooms.filter(
        Q(site_id=booking.space.site_id, bookable=True) | Q(pk=booking.space_id)
    ).order_by("name", "pk")
    form = BookingChangeForm(request.POST or None, booking=booking, spaces=spaces)
    clashes = None
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            changed = services.booking_reschedule(
                booking=booking,
                actor=request.user,
                change=services.BookingChange(
                    period=form.period,
                    space=values["space"].pk,
                    purpose=values["purpose"],
                    attendees=values["attendees"],
                    house_rules_accepted=values["house_rules_accepted"],
                    reason=values["reason"],
                ),
            )
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


def _errors_add(form: BookingChangeForm, exc: ValidationError) -> None:
    """Put the service's errors on the form's fields (`start`/`end` on the times)."""
    fields = {"start": "date", "end": "end_time", "repeat_until": None, "organisation": None}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        field = fields.get(name, name)
        form.add_error(field if field in form.fields else None, errors)
