"""Calendars of a space and of a site for their managers, the requester's own calendar, the
JSON feed they read, and a site's day as a grid of rooms × hours.

The pages use FullCalendar (vendored in static/vendor/fullcalendar/); the feed is built from
Occupancy, so recurrences are never expanded on a read. Below each calendar, a plain table of the
next 14 days carries the same information for keyboard and screen-reader users. Week and day
views open on the opening hours of the spaces shown (`selectors.calendar_hours`); agreements
and whole-day closures are all-day bands, not 24-hour blocks.
"""

import json
from datetime import date, datetime, time, timedelta
from typing import NotRequired, TypedDict
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from bookings import selectors
from bookings.rules import NonExistentLocalTimeError, make_local
from bookings.selectors.calendars import DEFAULT_DAY_START, CalendarHours
from bookings.selectors.day_grid import CellState, GridCell
from core.formats import day_text, time_range_text
from core.params import BadParameter, parse_date_param, parse_datetime_param, year_in_range
from spaces.models import Site, Space
from spaces.selectors import sites_manageable_by, sites_visible_to, spaces_manageable_by

UPCOMING_DAYS = 14


class EventProps(TypedDict):
    kind: str
    status: str | None
    space: str


class CalendarEvent(TypedDict):
    """One event in FullCalendar's format."""

    title: str
    start: str
    end: str
    allDay: bool
    classNames: list[str]
    extendedProps: EventProps
    url: NotRequired[str]


class BadWindow(ValueError):
    """The feed's parameters are missing or malformed (400)."""


def _parse_bound(value: str | None, name: str) -> datetime:
    """An ISO date or datetime; one without an offset is the sites' local time.

    FullCalendar, given the named zone Europe/Paris and no time-zone plugin, sends local
    wall-clock times without an offset.
    """
    try:
        parsed = parse_datetime_param(value, name=name)
    except BadParameter as exc:
        raise BadWindow(str(exc)) from exc
    if parsed is None:
        raise BadWindow(_("The parameter “%(name)s” is missing.") % {"name": name})
    if timezone.is_aware(parsed):
        return parsed
    try:
        return make_local(parsed, selectors.local_zone())
    except NonExistentLocalTimeError as exc:
        raise BadWindow(_("The parameter “%(name)s” is not a date.") % {"name": name}) from exc


def _parse_window(params: QueryDict) -> tuple[datetime, datetime]:
    start = _parse_bound(params.get("start"), "start")
    end = _parse_bound(params.get("end"), "end")
    if end <= start:
        raise BadWindow(_("The end must be after the start."))
    if end - start > timedelta(days=selectors.CALENDAR_MAX_DAYS):
        raise BadWindow(
            _("A calendar shows at most %(days)s days at a time.")
            % {"days": selectors.CALENDAR_MAX_DAYS}
        )
    return start, end


def _parse_id(value: str | None, name: str) -> int:
    if value is None or not value.isdigit():
        raise BadWindow(_("The parameter “%(name)s” must be a number.") % {"name": name})
    return int(value)


MINE = "mine"  # ?scope=mine: the bookings of the user's organisations


def _feed_spaces(request: HttpRequest) -> tuple[QuerySet[Space], bool]:
    """The spaces the feed covers, and whether titles name the space; 404 unless managed."""
    space_id, site_id = request.GET.get("space"), request.GET.get("site")
    if (space_id is None) == (site_id is None):
        raise BadWindow(_("Give either a space or a site."))
    if space_id is not None:
        pk = _parse_id(space_id, "space")
        if not spaces_manageable_by(request.user).filter(pk=pk).exists():
            raise Http404
        return Space.objects.filter(pk=pk), False
    pk = _parse_id(site_id, "site")
    if not sites_manageable_by(request.user).filter(pk=pk).exists():
        raise Http404
    return Space.objects.filter(site_id=pk), True


def _whole_days(start: datetime, end: datetime) -> tuple[date, date] | None:
    """The local days [first, end) when the period runs from a midnight to a midnight."""
    zone = selectors.local_zone()
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.time() == end.time() == time(0):
        return start.date(), end.date()
    return None


def _as_event(entry: selectors.CalendarEntry) -> CalendarEvent:
    """An entry for FullCalendar; an agreement or a whole-day period is an all-day band."""
    zone = selectors.local_zone()
    days = _whole_days(entry.start, entry.end)
    if days is None and entry.kind == "allocation":
        first = entry.start.astimezone(zone).date()
        last = entry.end.astimezone(zone)
        days = (first, last.date() + timedelta(days=0 if last.time() == time(0) else 1))
    event: CalendarEvent = {
        "title": entry.title,
        "start": days[0].isoformat() if days else entry.start.astimezone(zone).isoformat(),
        "end": days[1].isoformat() if days else entry.end.astimezone(zone).isoformat(),
        "allDay": days is not None,
        "classNames": [entry.css_class],
        "extendedProps": {"kind": entry.kind, "status": entry.status, "space": entry.space_name},
    }
    if entry.booking_id is not None:
        event["url"] = reverse("bookings:booking-detail", args=[entry.booking_id])
    return event


@login_required
@require_GET
def calendar_events(request: HttpRequest) -> HttpResponse:
    """FullCalendar's JSON feed: ?space=<id>, ?site=<id> or ?scope=mine (the bookings of the
    user's organisations), with start and end (≤ 62 days)."""
    try:
        mine = request.GET.get("scope") == MINE
        if not mine:
            spaces, with_space = _feed_spaces(request)
        start, end = _parse_window(request.GET)
    except BadWindow as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if mine:
        entries = selectors.calendar_entries_of_user(user=request.user, start=start, end=end)
    else:
        entries = selectors.calendar_entries(
            user=request.user, spaces=spaces, start=start, end=end, with_space=with_space
        )
    return JsonResponse([_as_event(entry) for entry in entries], safe=False)


def describe_period(start: datetime, end: datetime) -> str:
    """A period in words, in the sites' local time: whole days are said as such."""
    zone = selectors.local_zone()
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.time() == end.time() == time(0):
        last = end.date() - timedelta(days=1)
        if last == start.date():
            return _("%(day)s, all day") % {"day": date_format(start, "l j F Y")}
        return _("from %(first)s to %(last)s, whole days") % {
            "first": date_format(start, "l j F Y"),
            "last": date_format(last, "l j F Y"),
        }
    if start.date() == end.date():
        return _("%(day)s, %(start)s–%(end)s") % {
            "day": date_format(start, "l j F Y"),
            "start": date_format(start, "H:i"),
            "end": date_format(end, "H:i"),
        }
    return _("from %(start)s to %(end)s") % {
        "start": date_format(start, "l j F Y, H:i"),
        "end": date_format(end, "l j F Y, H:i"),
    }


def _initial_date(request: HttpRequest) -> date | None:
    """The day the calendar opens on (?date=YYYY-MM-DD), today by default (or when invalid:
    it only positions the calendar)."""
    try:
        return parse_date_param(request.GET.get("date"), name="date")
    except BadParameter:
        return None


def _upcoming_window() -> tuple[datetime, datetime]:
    """The next 14 days, from today's midnight in the sites' time zone."""
    today: date = timezone.localdate()
    zone = selectors.local_zone()
    start = make_local(datetime.combine(today, time(0)), zone)
    end = make_local(datetime.combine(today + timedelta(days=UPCOMING_DAYS), time(0)), zone)
    return start, end


def _hours_context(hours: CalendarHours) -> dict:
    """The hours a week view opens on, for calendar.js (data attributes of #calendar)."""
    business = [
        {
            # FullCalendar counts days from Sunday = 0; opening hours from Monday = 0.
            "daysOfWeek": [(weekday + 1) % 7],
            "startTime": opens.strftime("%H:%M"),
            "endTime": closes.strftime("%H:%M"),
        }
        for weekday, opens, closes in hours.windows
    ]
    if hours.always_open:
        slot_min, slot_max = "00:00:00", "24:00:00"
    else:
        slot_min = hours.start.strftime("%H:%M:%S")
        slot_max = hours.end.strftime("%H:%M:%S") if hours.end else "24:00:00"
    return {
        "slot_min": slot_min,
        "slot_max": slot_max,
        "business_hours": json.dumps(business) if business else "",
    }


def _upcoming(request: HttpRequest, spaces: QuerySet[Space], *, with_space: bool) -> dict:
    """The next 14 days of `spaces`, and the hours their week view opens on."""
    start, end = _upcoming_window()
    entries = selectors.calendar_entries(user=request.user, spaces=spaces, start=start, end=end)
    return _calendar_context(request, entries, with_space=with_space) | _hours_context(
        selectors.calendar_hours(spaces=spaces)
    )


def _calendar_context(
    request: HttpRequest, entries: list[selectors.CalendarEntry], *, with_space: bool
) -> dict:
    return {
        "upcoming": [(entry, describe_period(entry.start, entry.end)) for entry in entries],
        "upcoming_days": UPCOMING_DAYS,
        "with_space": with_space,
        "time_zone": selectors.local_zone().key,
        "initial_date": _initial_date(request),
    }


@login_required
@require_GET
def space_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    space = get_object_or_404(spaces_manageable_by(request.user).select_related("site"), pk=pk)
    context = {
        "space": space,
        "site": space.site,
        "events_url": f"{reverse('bookings:calendar-events')}?space={space.pk}",
        **_upcoming(request, Space.objects.filter(pk=space.pk), with_space=False),
    }
    return render(request, "bookings/calendar_space.html", context)


@login_required
@require_GET
def site_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """All the spaces of a site in one calendar, or one of them (?espace=<id>)."""
    site: Site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
    spaces = list(site.spaces.order_by("name"))
    chosen = next((s for s in spaces if str(s.pk) == request.GET.get("espace")), None)
    if chosen is None:
        events_url = f"{reverse('bookings:calendar-events')}?site={site.pk}"
        listed = Space.objects.filter(site=site)
    else:
        events_url = f"{reverse('bookings:calendar-events')}?space={chosen.pk}"
        listed = Space.objects.filter(pk=chosen.pk)
    context = {
        "site": site,
        "spaces": spaces,
        "chosen": chosen,
        "events_url": events_url,
        **_upcoming(request, listed, with_space=chosen is None),
    }
    return render(request, "bookings/calendar_site.html", context)


@login_required
@require_GET
def my_calendar(request: HttpRequest) -> HttpResponse:
    """The requester's calendar: every date booked by the user's organisations."""
    start, end = _upcoming_window()
    entries = selectors.calendar_entries_of_user(user=request.user, start=start, end=end)
    context = {
        "events_url": f"{reverse('bookings:calendar-events')}?scope={MINE}",
        **_calendar_context(request, entries, with_space=True),
        # Bookings may be anywhere, at any hour: the whole day, opened at 08:00.
        **_hours_context(
            CalendarHours(start=DEFAULT_DAY_START, end=None, always_open=True, windows=())
        ),
    }
    return render(request, "bookings/calendar_mine.html", context)


def _booking_link(space: Space, cell: GridCell) -> str:
    """The request form of `space`, prefilled with the cell's date and times (local)."""
    zone = selectors.local_zone()
    start, end = cell.start.astimezone(zone), cell.end.astimezone(zone)
    query = urlencode(
        {
            "date": start.date().isoformat(),
            "start_time": f"{start:%H:%M}",
            "end_time": f"{end:%H:%M}",
        }
    )
    return f"{reverse('bookings:booking-create', args=[space.pk])}?{query}"


def _cell_name(space: Space, cell: GridCell) -> str:
    """What a free cell's link says to a screen reader: "Book Salle A, Tuesday 8 December,
    14:00–15:00" (the visible "Book" first, so that the name contains the label)."""
    zone = selectors.local_zone()
    start, end = cell.start.astimezone(zone), cell.end.astimezone(zone)
    return _("%(space)s, %(day)s, %(hours)s") % {
        "space": space.name,
        "day": day_text(start.date()),
        "hours": time_range_text(start.time(), end.time()),
    }


@require_GET
def site_day(request: HttpRequest, pk: int) -> HttpResponse:
    """A site's day as a table of rooms × hours (?date=YYYY-MM-DD, today by default).

    A free cell links to the request form of that room, prefilled with its date and times. A bad
    date shows today with the reason, answered 400.
    """
    site: Site = get_object_or_404(sites_visible_to(request.user), pk=pk)
    error = None
    try:
        day = parse_date_param(request.GET.get("date"), name="date")
    except BadParameter as exc:
        day, error = None, str(exc)
    day = day or timezone.localdate()
    grid = selectors.site_day_grid(user=request.user, site=site, day=day)
    rows = [
        (
            row.space,
            [
                (cell, _booking_link(row.space, cell), _cell_name(row.space, cell))
                if cell.state == CellState.FREE
                else (cell, None, None)
                for cell in row.cells
            ],
        )
        for row in grid.rows
    ]
    context = {
        "site": site,
        "grid": grid,
        "rows": rows,
        "day": day,
        "previous": day - timedelta(days=1)
        if year_in_range((day - timedelta(days=1)).year)
        else None,
        "next": day + timedelta(days=1) if year_in_range((day + timedelta(days=1)).year) else None,
        "today": timezone.localdate(),
        "error": error,
        "can_manage": sites_manageable_by(request.user).filter(pk=site.pk).exists(),
    }
    return render(request, "bookings/calendar_site_day.html", context, status=400 if error else 200)
