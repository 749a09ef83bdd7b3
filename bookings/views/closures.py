"""Closures of a site or of one of its spaces (holidays, works), for the site's managers.

A closure that would hit bookings is not saved at once: the page lists the bookings it hits and
offers to cancel them with the closure's reason (services.closure_create does both).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from bookings import selectors, services
from bookings.exceptions import BookingConflict
from bookings.forms import ClosureForm, PublicHolidaysForm
from bookings.models import Occupancy, OccupancyKind
from bookings.rules import Period
from bookings.views.calendars import describe_period
from core.forms import form_add_service_errors
from spaces.models import Site, Space
from spaces.selectors import sites_manageable_by


def _hits(site: Site, space: Space | None, period: Period) -> list[Occupancy]:
    _spaces, hits = selectors.closure_targets_and_hits(
        period=period, site=None if space else site, space=space
    )
    return hits


def _create(request: HttpRequest, site: Site, form: ClosureForm) -> list[Occupancy] | None:
    """Save the closure and return None; else put the errors on the form and return the rows
    the closure would hit (none when the service refused the input itself)."""
    data = form.cleaned_data
    cancel = bool(data.get("cancel_bookings"))
    hits = _hits(site, data["space"], data["period"]) if cancel else []
    try:
        services.closure_create(
            actor=request.user,
            period=data["period"],
            reason=data["reason"],
            site=None if data["space"] else site,
            space=data["space"],
            cancel_bookings=cancel,
        )
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return []
    except BookingConflict as exc:
        hits = _hits(site, data["space"], data["period"])
        blocking = any(row.kind != OccupancyKind.BOOKING for row in hits)
        advice = (
            _(
                "Existing closures and allocations cannot be cancelled here: change the dates "
                "of the closure."
            )
            if blocking
            else _(
                "Tick “Cancel these bookings” to cancel them with the reason of the closure, "
                "or change the dates."
            )
        )
        form.add_error(None, " ".join([str(exc.message), advice]))
        return hits
    cancelled = sum(1 for row in hits if row.kind == OccupancyKind.BOOKING)
    messages.success(request, _("The closure “%(reason)s” was added.") % {"reason": data["reason"]})
    if cancelled:
        messages.success(
            request,
            ngettext(
                "%(count)s booked date was cancelled.",
                "%(count)s booked dates were cancelled.",
                cancelled,
            )
            % {"count": cancelled},
        )
    return None


@login_required
@require_http_methods(["GET", "POST"])
def site_closures(request: HttpRequest, pk: int) -> HttpResponse:
    """List the site's current and coming closures; add one (POST)."""
    site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
    spaces = list(site.spaces.order_by("name"))
    offered = "cancel_bookings" in request.POST
    form = ClosureForm(request.POST or None, spaces=spaces, offer_cancel=offered)
    hits: list[Occupancy] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = _create(request, site, form)
            if result is None:
                return redirect("bookings:closure-list", pk=site.pk)
            hits = result
        status = 409 if hits else 400
        if hits and all(row.kind == OccupancyKind.BOOKING for row in hits):
            form.offer_cancel()
        else:  # the box cannot lift a clash with a closure or an allocation
            form.fields.pop("cancel_bookings", None)
    closures = selectors.closures_of_site(site_id=site.pk, ending_after=timezone.now())
    context = {
        "site": site,
        "form": form,
        "hits": [(row, describe_period(row.start, row.end)) for row in hits],
        "closures": [
            (closure, describe_period(closure.start, closure.end)) for closure in closures
        ],
        "holidays_form": PublicHolidaysForm(),
    }
    return render(request, "bookings/closures.html", context, status=status)


@login_required
@require_POST
def closure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    closure = get_object_or_404(
        selectors.closures_manageable_by(request.user).select_related("space"), pk=pk
    )
    site_id = closure.site_id or closure.space.site_id
    services.closure_delete(closure=closure, actor=request.user)
    messages.success(
        request, _("The closure “%(reason)s” was removed.") % {"reason": closure.reason}
    )
    return redirect("bookings:closure-list", pk=site_id)


@login_required
@require_POST
def public_holidays_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the site on the French public holidays of a year, except days already booked."""
    site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
    form = PublicHolidaysForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a year."))
        return redirect("bookings:closure-list", pk=site.pk)
    year = form.cleaned_data["year"]
    created = services.closures_add_public_holidays(actor=request.user, site=site, year=year)
    messages.success(
        request,
        ngettext(
            "%(count)s public holiday of %(year)s was added as a closure.",
            "%(count)s public holidays of %(year)s were added as closures.",
            len(created),
        )
        % {"count": len(created), "year": year},
    )
    skipped = selectors.public_holidays_not_closed(site_id=site.pk, year=year)
    if skipped:
        days = ", ".join(
            f"{name} ({date_format(day, 'SHORT_DATE_FORMAT')})" for day, name in skipped
        )
        messages.warning(
            request,
            _(
                "Not closed, because bookings use them: %(days)s. Close these days with the "
                "form to see the bookings and cancel them."
            )
            % {"days": days},
        )
    return redirect("bookings:closure-list", pk=site.pk)
