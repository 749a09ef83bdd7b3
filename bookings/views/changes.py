"""Changing a booking (issue 16): its "Modifier" page. The service checks and writes."""

from typing import Any

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
from bookings.forms.conditions import RequestAnswersForm, request_errors_add
from bookings.models import Booking, BookingStatus
from bookings.permissions import booking_actions_for
from bookings.selectors.conditions import request_questions_of
from bookings.views.requests import _clash_rows
from core.forms import form_add_service_errors
from core.middleware import accepts_upload
from spaces.models import Space
from spaces.selectors import spaces_manageable_by, spaces_visible_to

# The hidden field naming the room whose questions the form showed: its answers are read only
# for that room (chosen anew, another room asks its own questions first).
ANSWERS_FOR = "answers_for"


@accepts_upload
@login_required
@require_http_methods(["GET", "POST"])
def booking_change(request: HttpRequest, pk: int) -> HttpResponse:
    """The form (GET), the change (POST): back to the booking, or the form with what is wrong
    (400) or the clashes (409). Someone who may not change it gets a 404.

    A move to another room with questions or house rules first shows them (the request
    form's fields, `RequestAnswersForm`), the values chosen kept, with a message saying to
    answer them (400); the next submit sends the answers with the change."""
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
    answers_form = None
    if request.method == "POST" and form.is_valid():
        answers_form = _answers_form(request, booking, form.cleaned_data["space"])
    if request.method == "POST" and form.is_valid() and _answered(form, answers_form):
        try:
            changed = _change(form, booking, request.user, answers_form)
        except ValidationError as exc:
            if answers_form is None:
                _errors_add(form, exc)
            else:
                request_errors_add(form, answers_form, _renamed(form, exc))
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
    has_errors = form.errors or (answers_form is not None and answers_form.errors)
    status = 409 if clashes else (400 if form.is_bound and has_errors else 200)
    context = {
        "booking": booking,
        "form": form,
        "answers_form": answers_form,
        "answers_for": ANSWERS_FOR,
        "new_space": answers_form.space if answers_form is not None else None,
        "clashes": clashes,
        "can_decide": actions.can_decide,
    }
    return render(request, "bookings/booking_change.html", context, status=status)


def _answers_form(
    request: HttpRequest, booking: Booking, space: Space
) -> RequestAnswersForm | None:
    """The new room's questions and house rules, when the booking moves to a room that has
    some: bound to what was posted if the form showed that room's, empty otherwise."""
    if space.pk == booking.space_id:
        return None
    questions = request_questions_of(space_id=space.pk)
    if not questions and not space.house_rules:
        return None
    shown = request.POST.get(ANSWERS_FOR) == str(space.pk)
    answers_form = RequestAnswersForm(
        request.POST if shown else None, request.FILES if shown else None, questions=questions
    )
    answers_form.space = space  # type: ignore[attr-defined]
    return answers_form


def _answered(
    form: BookingChangeForm | SeriesChangeForm, answers_form: RequestAnswersForm | None
) -> bool:
    """Whether the change may go to the service: no new room's questions, or their answers
    given on the form that showed them."""
    if answers_form is None:
        return True
    if not answers_form.is_bound:
        form.add_error(
            None,
            _(
                "The new room asks some questions or has house rules: answer them below, "
                "then save the change."
            ),
        )
        return False
    return answers_form.is_valid()


def _change(
    form: BookingChangeForm | SeriesChangeForm,
    booking: Booking,
    user: User,
    answers_form: RequestAnswersForm | None,
) -> Booking:
    """Call the service the form is for (a single date, or a series from a date)."""
    values = form.cleaned_data
    answers = answers_form.answers() if answers_form is not None else None
    accepted = answers_form is not None and answers_form.cleaned_data["house_rules_accepted"]
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
                purpose=_changed(values["purpose"], booking.purpose),
                attendees=_changed(values["attendees"], booking.attendees),
                answers=answers,
                house_rules_accepted=accepted,
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
            answers=answers,
            house_rules_accepted=accepted,
            reason=values["reason"],
        ),
    )


def _changed(value: Any, current: Any) -> Any:
    """A series' attendees or purpose: None (kept) when the form left them as they were."""
    return None if value == current else value


def _renames(form: BookingChangeForm | SeriesChangeForm) -> dict[str, str]:
    start = "start_time" if isinstance(form, SeriesChangeForm) else "date"
    return {"start": start, "end": "end_time"}


def _renamed(form: BookingChangeForm | SeriesChangeForm, exc: ValidationError) -> ValidationError:
    """The service's errors with `start`/`end` named as the form's time fields."""
    if not hasattr(exc, "error_dict"):
        return exc
    renames = _renames(form)
    return ValidationError(
        {renames.get(name, name): errors for name, errors in exc.error_dict.items()}
    )


def _errors_add(form: BookingChangeForm | SeriesChangeForm, exc: ValidationError) -> None:
    """Put the service's errors on the form's fields (`start`/`end` on the times), linked to
    them (aria-describedby)."""
    form_add_service_errors(form, exc, renames=_renames(form))
