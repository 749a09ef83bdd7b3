"""A site's timeline: its agreements, bookings and closures, space by space, month by month."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from bookings import selectors
from bookings.forms import (
    TimelineForm,
)
from bookings.models import (
    OccupancyKind,
)
from spaces.selectors import sites_manageable_by


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months(first: date, count: int) -> list[date]:
    return [_add_months(first, offset) for offset in range(count)]


@dataclass
class _Cell:
    agreements: list = field(default_factory=list)
    bookings: list = field(default_factory=list)
    closures: list = field(default_factory=list)

    @property
    def is_free(self) -> bool:
        return not (self.agreements or self.bookings or self.closures)


def _cells(
    entries: list[selectors.TimelineEntry], bounds: list[tuple[datetime, datetime]]
) -> list[_Cell]:
    """Spread a space's entries over the months they touch."""
    cells = [_Cell() for _bound in bounds]
    zone = selectors.local_zone()
    for entry in entries:
        for cell, (start, end) in zip(cells, bounds, strict=True):
            if entry.start >= end or entry.end <= start:
                continue
            if entry.kind == OccupancyKind.ALLOCATION:
                cell.agreements.append(
                    {
                        "entry": entry,
                        "from": entry.start.astimezone(zone).date()
                        if entry.start > start
                        else None,
                        "until": (entry.end.astimezone(zone) - timedelta(days=1)).date()
                        if entry.end < end
                        else None,
                    }
                )
            elif entry.kind == OccupancyKind.BOOKING:
                cell.bookings.append(entry)
            else:
                cell.closures.append(entry)
    return cells


@login_required
@require_GET
def site_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """A site's long-term agreements and hourly bookings together, space by space, month by
    month, over a chosen period (this month and the next eleven by default)."""
    site = get_object_or_404(sites_manageable_by(request.user).select_related("commune"), pk=pk)
    form = TimelineForm(request.GET or None)
    today = timezone.localdate()
    first, count = _month_start(today), 12
    if form.is_bound and form.is_valid():
        first = _month_start(form.cleaned_data["start"] or today)
        count = form.cleaned_data["months"] or 12
    zone = selectors.local_zone()
    months = _months(first, count + 1)
    bounds = [
        (
            datetime.combine(months[i], time(0), tzinfo=zone),
            datetime.combine(months[i + 1], time(0), tzinfo=zone),
        )
        for i in range(count)
    ]
    rows = selectors.site_timeline(site_id=site.pk, start=bounds[0][0], end=bounds[-1][1])
    context = {
        "site": site,
        "form": form,
        "months": months[:count],
        "rows": [(row.space, _cells(row.entries, bounds)) for row in rows],
        "previous": _add_months(first, -count),
        "next": _add_months(first, count),
        "count": count,
        "last_month": months[count - 1],
        "can_create": any(row.space.allocatable for row in rows),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/timeline.html", context, status=status)
