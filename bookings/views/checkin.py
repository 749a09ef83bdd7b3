"""Check-in at the door (issue 16), in HTML: a space's setting and door poster with its QR
code (its managers), the door page a member reaches by scanning it, the check-in button of a
booking's page, and a site's no-shows."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.messaging import site_url
from bookings import selectors, services
from bookings.exceptions import InvalidTransition
from bookings.forms.checkin import CheckInSettingsForm
from bookings.models import CHECK_IN_OPENS_BEFORE_MINUTES, GRACE_MINUTES_DEFAULT, BookingStatus
from bookings.rules import check_in_window
from bookings.selectors.checkin import (
    check_in_dates_at_door,
    check_in_setting_by_token,
    check_in_setting_of,
    no_shows_by_organisation,
    no_shows_of_site,
    no_shows_of_site_per_structure,
)
from bookings.services.checkin import NO_SHOW_LOOKBACK
from core.forms import form_add_service_errors
from spaces.selectors import sites_manageable_by, spaces_manageable_by


def _door_url(token: str) -> str:
    return site_url(reverse("bookings:check-in-door", args=[token]))


@login_required
@require_http_methods(["GET", "POST"])
def space_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """A space's check-in setting (POST `rotate`: a new door link) for its managers."""
    space = get_object_or_404(spaces_manageable_by(request.user).select_related("site"), pk=pk)
    setting = check_in_setting_of(space_id=space.pk)
    form = CheckInSettingsForm(
        request.POST or None,
        initial={
            "required": bool(setting and setting.required),
            "grace_minutes": setting.grace_minutes if setting else GRACE_MINUTES_DEFAULT,
        },
    )
    if request.method == "POST" and "rotate" in request.POST:
        services.check_in_token_rotate(space=space, actor=request.user)
        messages.success(
            request, _("New door link: print the new poster, the old code no longer works.")
        )
        return redirect("bookings:space-check-in", pk=space.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_in_settings_set(space=space, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The check-in setting was saved."))
            return redirect("bookings:space-check-in", pk=space.pk)
    context = {"space": space, "setting": setting, "form": form}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/check_in_settings.html", context, status=status)


@login_required
@require_GET
def space_check_in_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The page to print and put on the door: the QR code of the door link, the link in
    words, and how to use it (the space's managers, once check-in is required)."""
    space = get_object_or_404(spaces_manageable_by(request.user).select_related("site"), pk=pk)
    setting = check_in_setting_of(space_id=space.pk)
    if setting is None or not setting.required:
        messages.error(request, _("Require check-in first: the door link works only then."))
        return redirect("bookings:space-check-in", pk=space.pk)
    url = _door_url(setting.token)
    # An SVG (pure Python, sharp when printed at any size) in a data: URI, which the
    # Content-Security-Policy allows for images; error correction Q survives a scratched poster.
    qr = segno.make(url, error="q", micro=False)
    context = {
        "space": space,
        "door_url": url,
        "qr_uri": qr.svg_data_uri(scale=8, border=4, dark="#000", light="#fff"),
        "opens_before": CHECK_IN_OPENS_BEFORE_MINUTES,
        "grace_minutes": setting.grace_minutes,
    }
    return render(request, "bookings/check_in_poster.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def check_in_door(request: HttpRequest, token: str) -> HttpResponse:
    """What a member sees after scanning the door's code: their structure's dates in that
    space around now, each with "I have arrived" (POST `occupancy`: its id). An unknown or
    renewed secret, or a space no longer asking for check-in, is a 404."""
    setting = check_in_setting_by_token(token=token)
    if setting is None:
        raise Http404
    now = timezone.now()
    dates = check_in_dates_at_door(user=request.user, setting=setting, now=now)
    status = 200
    if request.method == "POST":
        chosen = next(
            (date for date in dates if str(date.row.pk) == request.POST.get("occupancy", "")),
            None,
        )
        if chosen is None:
            messages.error(request, _("Choose one of your dates below."))
            status = 400
        else:
            try:
                services.booking_check_in(
                    booking=chosen.row.booking,
                    actor=request.user,
                    occurrence_start=chosen.row.start,
                    now=now,
                )
            except InvalidTransition as exc:
                messages.error(request, exc.message())
                status = 409
            else:
                messages.success(request, _("Thank you: your arrival is recorded."))
                return redirect("bookings:check-in-door", token=token)
    context = {
        "space": setting.space,
        "dates": dates,
        "opens_before": CHECK_IN_OPENS_BEFORE_MINUTES,
    }
    return render(request, "bookings/check_in_door.html", context, status=status)


def check_in_context(
    booking, *, user, is_manager: bool, occurrences: list, can_decide: bool = False
) -> dict:
    """What a booking's page shows of check-in: whether its space asks for it, the date a
    member may check in now (`check_in_open`), and for its managers the structure's no-shows
    over twelve months; for its impartial managers (`can_decide`), on each date, what they may
    say (`row.manager_action`: "arrival" once its window opened, "undo" on a no-show). One
    query on a space without check-in; two or three with it."""
    setting = check_in_setting_of(space_id=booking.space_id)
    context: dict = {"check_in": setting if setting and setting.required else None}
    if is_manager:
        counts = no_shows_by_organisation(
            organisation_ids=[booking.organisation_id], now=timezone.now()
        )
        context["no_shows"] = counts.get(booking.organisation_id, 0)
    if booking.status != BookingStatus.CONFIRMED:
        return context
    if can_decide:  # a mark stays cancellable after the space stopped asking for check-in
        for row in occurrences:
            if row.active and row.no_show_at is not None:
                row.manager_action = "undo"
    if context["check_in"] is None:
        return context
    now = timezone.now()
    for row in occurrences:
        opens, closes = check_in_window(
            start=row.start,
            grace_minutes=setting.grace_minutes,
            opens_before_minutes=CHECK_IN_OPENS_BEFORE_MINUTES,
        )
        row.check_in_closes = closes
        if row.active and opens <= now < closes and row.checked_in_at is None:
            context.setdefault("check_in_open", row)
        if (
            can_decide
            and row.active
            and row.checked_in_at is None
            and row.no_show_at is None
            and opens <= now < row.start + NO_SHOW_LOOKBACK
        ):
            row.manager_action = "arrival"
    if "check_in_open" in context and not (
        selectors.bookings_of_requester(user).filter(pk=booking.pk).exists()
    ):
        del context["check_in_open"]
    return context


@login_required
@require_POST
def booking_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """ "I have arrived" on a booking's page (its structure's members)."""
    booking = get_object_or_404(selectors.bookings_of_requester(request.user), pk=pk)
    try:
        chosen = parse_datetime(request.POST.get("occurrence_start", "")[:40])
    except ValueError:  # well formed, but no such day or hour (2027-02-30): the open date
        chosen = None
    try:
        services.booking_check_in(booking=booking, actor=request.user, occurrence_start=chosen)
    except PermissionDenied as exc:  # a manager who is not of the structure: not theirs
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except InvalidTransition as exc:
        messages.error(request, exc.message())
    else:
        messages.success(request, _("Thank you: your arrival is recorded."))
    return redirect(booking.get_absolute_url())


def _manager_action(request: HttpRequest, pk: int, act) -> HttpResponse:
    """Run a manager's word on a date of the booking (POST `occurrence_start`): the booking
    among those the user manages (else 404); the service checks the rest."""
    booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
    try:
        chosen = parse_datetime(request.POST.get("occurrence_start", "")[:40])
    except ValueError:
        chosen = None
    try:
        text = act(booking=booking, actor=request.user, occurrence_start=chosen)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except InvalidTransition as exc:
        messages.error(request, exc.message())
    else:
        messages.success(request, text)
    return redirect(booking.get_absolute_url())


@login_required
@require_POST
def booking_arrival_record(request: HttpRequest, pk: int) -> HttpResponse:
    """ "The structure has arrived" on a date of a booking's page (its impartial managers)."""

    def act(**kwargs) -> str:
        services.booking_arrival_record(**kwargs)
        return _("The arrival is recorded for the structure.")

    return _manager_action(request, pk, act)


@login_required
@require_POST
def booking_no_show_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a no-show on a date of a booking's page (its impartial managers): the message
    says whether the released time was taken back."""

    def act(**kwargs) -> str:
        return services.booking_no_show_undo(**kwargs).message or _(
            "This date is not marked a no-show."
        )

    return _manager_action(request, pk, act)


@login_required
@require_GET
def site_no_shows(request: HttpRequest, pk: int) -> HttpResponse:
    """The no-shows of a site's bookings over the last twelve months, per structure and by
    date (its managers)."""
    site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
    now = timezone.now()
    context = {
        "site": site,
        "per_structure": no_shows_of_site_per_structure(site_id=site.pk, now=now),
        "rows": list(no_shows_of_site(site_id=site.pk, now=now)[:200]),
    }
    return render(request, "bookings/no_shows.html", context)
