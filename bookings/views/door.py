"""A room's planning for its door (issue 17), as a printable page and as a PDF.

Two versions of the same page, read from Occupancy by `bookings.selectors.door`:
- named, for the room's managers (`spaces_manageable_by`; anyone else gets a 404): each slot
  says which structure holds it, and its purpose when the manager ticks « objet »;
- public, for whoever may see the room (`spaces_visible_to`: a published room for everyone):
  « Réservé » only, what the public week of the space already shows.
Each shows a week (`?semaine=2027-09-13`, `&semaines=4` for several, one printed page each) or,
with `?type=saison&annee=2027`, the typical week of a school year: the weekly series of the room.
A bad parameter is answered 400 with the French reason and the default shown instead; a bad
parameter of a PDF gets the page (with the reason), not a PDF.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.messaging import site_url
from bookings.selectors.door import (
    DOOR_MAX_WEEKS,
    door_season,
    door_weeks,
    school_year_of,
)
from core.params import YEAR_MAX, YEAR_MIN, BadParameter, parse_date_param, year_in_range
from core.pdf import render_pdf
from core.ratelimit import rate_limited
from spaces.models import Space
from spaces.selectors import spaces_manageable_by, spaces_visible_to

WEEK, SEASON = "semaine", "saison"
_NUMBER = re.compile(r"\d{1,4}")


@dataclass
class PlanningQuery:
    """What the query string asks for, read safely: every bad value leaves its default and a
    French reason in `errors`."""

    season: bool = False
    monday: date | None = None
    weeks: int = 1
    year: int = 0
    purposes: bool = False
    errors: list[str] = field(default_factory=list)

    def params(self, **changes) -> str:
        """The query string of this planning, with `changes` (for links to other weeks)."""
        values = {
            "season": self.season,
            "monday": self.monday,
            "weeks": self.weeks,
            "year": self.year,
            "purposes": self.purposes,
        }
        values.update(changes)
        query = QueryDict(mutable=True)
        if values["season"]:
            query["type"] = SEASON
            query["annee"] = str(values["year"])
        else:
            query["semaine"] = f"{values['monday']:%Y-%m-%d}"
            if values["weeks"] > 1:
                query["semaines"] = str(values["weeks"])
        if values["purposes"]:
            query["objet"] = "1"
        return query.urlencode()


def _read_query(request: HttpRequest, *, named: bool) -> PlanningQuery:
    get = request.GET
    query = PlanningQuery()
    today = timezone.localdate()
    kind = get.get("type", "")
    if kind not in ("", WEEK, SEASON):
        query.errors.append(_("“type” must be “semaine” or “saison”: the week is shown instead."))
    query.season = kind == SEASON
    try:
        day = parse_date_param(get.get("semaine"), name="semaine")
    except BadParameter as exc:
        day = None
        query.errors.append(_("%(reason)s The current week is shown instead.") % {"reason": exc})
    day = day or today
    query.monday = day - timedelta(days=day.weekday())
    weeks = get.get("semaines", "")
    if weeks:
        if _NUMBER.fullmatch(weeks) and 1 <= int(weeks) <= DOOR_MAX_WEEKS:
            query.weeks = int(weeks)
        else:
            query.errors.append(
                _("“semaines” must be a number of weeks from 1 to %(most)s: one week is shown.")
                % {"most": DOOR_MAX_WEEKS}
            )
    year = get.get("annee", "")
    query.year = school_year_of(day)
    if year:
        if _NUMBER.fullmatch(year) and year_in_range(int(year)) and year_in_range(int(year) + 1):
            query.year = int(year)
        else:
            query.errors.append(
                _(
                    "“annee” must be a year from %(first)s to %(last)s: the school year "
                    "%(shown)s–%(next)s is shown instead."
                )
                % {
                    "first": YEAR_MIN,
                    "last": YEAR_MAX - 1,
                    "shown": query.year,
                    "next": query.year + 1,
                }
            )
    query.purposes = named and get.get("objet", "") in ("1", "on")
    return query


def _address(space: Space) -> str:
    site = space.site
    address = site.address_line
    if site.address_complement:
        address += f", {site.address_complement}"
    return f"{address}, {site.postcode} {site.commune.name}"


def _context(request: HttpRequest, space: Space, *, named: bool, pdf: bool) -> dict:
    query = _read_query(request, named=named)
    context: dict = {
        "space": space,
        "site": space.site,
        "address": _address(space),
        "named": named,
        "query": query,
        "errors": query.errors,
    }
    if query.season:
        context["season"] = door_season(
            space=space, year=query.year, named=named, purposes=query.purposes
        )
        if year_in_range(query.year - 1):
            context["previous"] = query.params(year=query.year - 1)
        if year_in_range(query.year + 2):
            context["next"] = query.params(year=query.year + 1)
    else:
        context["weeks"] = door_weeks(
            space=space,
            monday=query.monday,
            weeks=query.weeks,
            named=named,
            purposes=query.purposes,
        )
        context["last_sunday"] = context["weeks"][-1].sunday
        step = timedelta(days=7 * query.weeks)
        if year_in_range((query.monday - step).year):
            context["previous"] = query.params(monday=query.monday - step)
        if year_in_range((query.monday + step).year):
            context["next"] = query.params(monday=query.monday + step)
    context["params"] = query.params()
    context["season_params"] = query.params(season=True)
    context["week_params"] = query.params(season=False)
    if space.site.is_published:
        # The room's public page, for passers-by: a QR code (error correction Q survives a
        # scratched sheet) and the address in words. An SVG: a data: URI on the page (the CSP
        # allows it for images), inline in the PDF (whose fetcher refuses data: URIs).
        public_url = site_url(space.get_absolute_url())
        qr = segno.make(public_url, error="q", micro=False)
        context["public_url"] = public_url
        if pdf:
            # segno writes the markup from the address alone: nothing a user typed.
            context["qr_svg"] = mark_safe(qr.svg_inline(scale=3, border=2, dark="#000"))  # noqa: S308
        else:
            context["qr_uri"] = qr.svg_data_uri(scale=4, border=2, dark="#000", light="#fff")
    return context


def _pdf_title(context: dict) -> str:
    space = context["space"]
    if "season" in context:
        season = context["season"]
        return _("Typical week of %(space)s — school year %(first)s–%(next)s") % {
            "space": space.name,
            "first": season.year,
            "next": season.year + 1,
        }
    first = context["weeks"][0]
    return _("Planning of %(space)s — week of %(monday)s") % {
        "space": space.name,
        "monday": f"{first.monday:%d/%m/%Y}",
    }


def _page(request: HttpRequest, space: Space, *, named: bool) -> HttpResponse:
    context = _context(request, space, named=named, pdf=False)
    status = 400 if context["errors"] else 200
    return render(request, "bookings/door_planning.html", context, status=status)


def _pdf(request: HttpRequest, space: Space, *, named: bool) -> HttpResponse:
    with translation.override("fr"):  # a French document, whoever asks (core.pdf)
        context = _context(request, space, named=named, pdf=True)
        title = _pdf_title(context)
    if context["errors"]:  # the reason on the page, with the default planning and its PDF
        return _page(request, space, named=named)
    content = render_pdf("pdf/door_planning.html", context, title=title, author=space.site.name)
    response = HttpResponse(content, content_type="application/pdf")
    when = (
        "saison-{}".format(context["season"].year)
        if "season" in context
        else (f"{context['weeks'][0].monday:%Y-%m-%d}")
    )
    filename = f"planning-{slugify(space.name)[:60] or space.pk}-{when}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _managed(request: HttpRequest, pk: int) -> Space:
    return get_object_or_404(
        spaces_manageable_by(request.user).select_related("site", "site__commune"), pk=pk
    )


def _visible(request: HttpRequest, pk: int) -> Space:
    return get_object_or_404(
        spaces_visible_to(request.user).select_related("site", "site__commune"), pk=pk
    )


@login_required
@require_GET
def space_planning(request: HttpRequest, pk: int) -> HttpResponse:
    """The room's planning naming the structures (its managers)."""
    return _page(request, _managed(request, pk), named=True)


@login_required
@require_GET
@rate_limited("door_pdf", methods=("GET",))
def space_planning_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same as a PDF to print: A4, one page per week."""
    return _pdf(request, _managed(request, pk), named=True)


@require_GET
def space_planning_public(request: HttpRequest, pk: int) -> HttpResponse:
    """The room's planning with « Réservé » only (whoever may see the room)."""
    return _page(request, _visible(request, pk), named=False)


@require_GET
@rate_limited("door_pdf", methods=("GET",))
def space_planning_public_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The public planning as a PDF."""
    return _pdf(request, _visible(request, pk), named=False)
