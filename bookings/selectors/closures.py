"""Reads of closures: a site's closures, who may remove them, the public holidays a site is
not closed on yet, and what a closure would close and hit."""

from datetime import date, datetime, time

from django.db.models import Q, QuerySet

from accounts.selectors import AnyUser
from bookings.models import Closure, Occupancy, OccupancyKind
from bookings.rules import Period, french_public_holidays, local_period
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import occupancies_overlapping
from spaces.models import Site, Space
from spaces.selectors import sites_manageable_by


def closures_of_site(*, site_id: int, ending_after: datetime | None = None) -> QuerySet[Closure]:
    """Closures of a site and of its spaces, oldest first."""
    closures = Closure.objects.filter(Q(site_id=site_id) | Q(space__site_id=site_id))
    if ending_after is not None:
        closures = closures.filter(end__gt=ending_after)
    return closures.select_related("space").order_by("start", "pk")


def closures_manageable_by(user: AnyUser) -> QuerySet[Closure]:
    """Closures the user may remove: those of the sites they manage and of their spaces."""
    sites = sites_manageable_by(user).values("pk")
    return Closure.objects.filter(Q(site__in=sites) | Q(space__site__in=sites))


def public_holidays_not_closed(*, site_id: int, year: int) -> list[tuple[date, str]]:
    """The French public holidays of `year` on which the site has no whole-day site closure."""
    zone = local_zone()
    holidays = sorted(french_public_holidays(year).items())
    starts = {day: local_period(day, time(0), time(0), zone).start for day, _name in holidays}
    closed = set(
        Closure.objects.filter(site_id=site_id, start__in=list(starts.values())).values_list(
            "start", flat=True
        )
    )
    return [(day, name) for day, name in holidays if starts[day] not in closed]


def closure_targets_and_hits(
    *, period: Period, site: Site | None = None, space: Space | None = None
) -> tuple[list[Space], list[Occupancy]]:
    """The spaces a closure would close, and the active occupancy it would hit there.

    A site closure stops bookings: it covers the site's bookable spaces, except those held
    under an agreement during the period (their occupant's access follows the agreement).
    Rows are compared with blocked_until, not end: a booking whose buffer runs into the closure
    clashes with it too, as the exclusion constraint sees it.
    """
    spaces = list(
        Space.objects.filter(site=site, bookable=True).order_by("pk")
        if site is not None
        else Space.objects.filter(pk=space.pk)
    )
    hits = list(
        occupancies_overlapping(spaces=spaces, periods=period)
        .select_related("space", "booking", "booking__organisation", "closure")
        .order_by("start", "space__name", "pk")
    )
    if site is not None:
        allocated = {row.space_id for row in hits if row.kind == OccupancyKind.ALLOCATION}
        spaces = [target for target in spaces if target.pk not in allocated]
        hits = [row for row in hits if row.space_id not in allocated]
    return spaces, hits
