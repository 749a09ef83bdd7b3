"""The observatory's dashboards (the territory's, a commune's) and the list of booked hours
behind their numbers. The territory's is for the intercommunality; a commune's for its staff and
the intercommunality; anyone else gets a 404 (the login page when signed out)."""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.collation import french
from reports.forms import ObservatoryPeriodForm
from reports.selectors import occupancy as selectors
from spaces.models import Commune, Site

ROWS_PER_PAGE = 50


def _default_period() -> tuple[date, date]:
    """The twelve whole months before the current one."""
    this_month = timezone.localdate().replace(day=1)
    return this_month.replace(year=this_month.year - 1), this_month - timedelta(days=1)


def _period_form(request: HttpRequest) -> ObservatoryPeriodForm:
    first, last = _default_period()
    data = request.GET if "debut" in request.GET or "fin" in request.GET else None
    return ObservatoryPeriodForm(data, initial={"debut": first, "fin": last})


def _period(form: ObservatoryPeriodForm) -> tuple[date, date] | None:
    """(first day, day after the last) of a valid form, the default when none was asked."""
    if not form.is_bound:
        first, last = _default_period()
    elif form.is_valid():
        first, last = form.cleaned_data["debut"], form.cleaned_data["fin"]
    else:
        return None
    return first, last + timedelta(days=1)


def _percentage(rate) -> float | None:
    return None if rate is None else float(rate * 100)


def _charts(data: selectors.Observatory) -> dict:
    """What the charts draw (observatory.js), the same figures as the tables under them."""
    return {
        "sites": {
            "type": "bar",
            "unit": "%",
            "labels": [site.name for site in data.sites],
            "datasets": [
                {
                    "label": _("This period"),
                    "data": [_percentage(site.current.rate) for site in data.sites],
                },
                {
                    "label": _("Previous period"),
                    "data": [_percentage(site.previous.rate) for site in data.sites],
                },
            ],
        },
        "months": {
            "type": "line",
            "unit": "h",
            "labels": [date_format(month, "F Y") for month, _hours in data.months],
            "datasets": [
                {
                    "label": _("Hours booked"),
                    "data": [float(hours) for _month, hours in data.months],
                }
            ],
        },
        "families": {
            "type": "bar",
            "unit": "",
            "labels": [count.label for count in data.by_family],
            "datasets": [
                {
                    "label": _("Structures hosted"),
                    "data": [count.structures for count in data.by_family],
                }
            ],
        },
    }


def _dashboard(
    request: HttpRequest, *, sites: QuerySet[Site] | None, commune: Commune | None
) -> HttpResponse:
    form = _period_form(request)
    period = _period(form)
    context = {"form": form, "commune": commune, "data": None}
    if period is not None:
        data = selectors.observatory(sites=sites, first_day=period[0], after_day=period[1])
        context |= {
            "data": data,
            "charts": _charts(data),
            "period_query": urlencode(
                {"debut": data.first_day.isoformat(), "fin": data.last_day.isoformat()}
            ),
            "previous_query": urlencode(
                {
                    "debut": data.previous_period.start.date().isoformat(),
                    "fin": (data.first_day - timedelta(days=1)).isoformat(),
                }
            ),
            "always_full_rate": selectors.ALWAYS_FULL_RATE,
            "communes": []
            if commune is not None
            else selectors.communes_observable_by(request.user).order_by(french("name")),
        }
    return render(request, "reports/observatory.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def observatory_territory(request: HttpRequest) -> HttpResponse:
    """Occupancy and vacancy of every site of the territory over a period."""
    if not selectors.observatory_is_visible_to(request.user):
        raise Http404
    return _dashboard(request, sites=None, commune=None)


@login_required
@require_GET
def observatory_commune(request: HttpRequest, insee: str) -> HttpResponse:
    """Occupancy and vacancy of the premises a commune owns."""
    commune = get_object_or_404(selectors.communes_observable_by(request.user), insee_code=insee)
    return _dashboard(request, sites=selectors.commune_premises(commune), commune=commune)


# The filters of the list of booked hours: parameter → lookup on Occupancy.
ROW_FILTERS = {
    "espace": "space_id",
    "site": "space__site_id",
    "commune": "space__site__commune__insee_code",
    "structure": "booking__organisation_id",
    "famille": "booking__organisation__ess_family",
}
NUMERIC_FILTERS = {"espace", "site", "structure"}
MAX_ID_DIGITS = 18


@login_required
@require_GET
def occupancy_rows(request: HttpRequest) -> HttpResponse:
    """The booked hours behind a dashboard's number: the dates booked in a space, a site, a
    commune or by a structure over the period, among the sites the user may observe."""
    user = request.user
    if not selectors.observatory_is_visible_to(user) and not (
        selectors.communes_observable_by(user).exists()
    ):
        raise Http404  # observes nothing: a structure's member, a facilities manager
    form = _period_form(request)
    period = _period(form)
    filters = {
        name: request.GET[name][:20] for name in ROW_FILTERS if request.GET.get(name) is not None
    }
    # An id of 19 digits or more is no row's (and past 2^63 the database refuses the number).
    if any(
        not filters[name].isdigit() or len(filters[name]) > MAX_ID_DIGITS
        for name in NUMERIC_FILTERS & filters.keys()
    ):
        raise Http404
    context = {"form": form, "filters": filters, "page": None}
    if period is not None:
        rows, seconds = selectors.booked_occupancies(
            sites=selectors.sites_observable_by(request.user),
            first_day=period[0],
            after_day=period[1],
            filters={ROW_FILTERS[name]: value for name, value in filters.items()},
        )
        context |= {
            "page": Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page")),
            "hours": selectors.hours(seconds),
            "query": urlencode(
                {
                    **filters,
                    "debut": period[0].isoformat(),
                    "fin": (period[1] - timedelta(days=1)).isoformat(),
                }
            ),
        }
    status = 400 if form.errors else 200
    return render(request, "reports/occupancy_rows.html", context, status=status)
