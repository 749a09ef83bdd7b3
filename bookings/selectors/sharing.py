"""Reads of the shared times of allocated rooms (issue 17, bookings/models/sharing.py): who
sees a window, a window's dates, the windows a booking falls in."""

from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from accounts.selectors import AnyUser, organisations_of
from bookings.models import Allocation, SharingWindow, SharingWindowStatus
from bookings.models.allocations import ALLOCATION_OCCUPYING
from bookings.rules import Period, local_period
from bookings.selectors.allocations import allocations_visible_to
from bookings.selectors.local_time import local_zone


def sharing_windows_visible_to(user: AnyUser) -> QuerySet[SharingWindow]:
    """The windows of the agreements the user sees (`allocations_visible_to`)."""
    return SharingWindow.objects.filter(allocation__in=allocations_visible_to(user).values("pk"))


def allocations_shared_by(user: AnyUser) -> QuerySet[Allocation]:
    """Agreements whose occupant the user belongs to: they propose its windows, withdraw them,
    and decide the requests made in them."""
    return Allocation.objects.filter(structure__in=organisations_of(user).values("pk"))


def sharing_windows_of(allocation: Allocation) -> list[SharingWindow]:
    """The agreement's windows for its page, newest proposals last, with who acted."""
    return list(
        allocation.sharing_windows.select_related(
            "space", "proposed_by", "consented_by", "withdrawn_by"
        ).order_by("status", "weekday", "start_time", "pk")
    )


def window_days(window: SharingWindow) -> tuple[date, date]:
    """The first and last days a window may open: its own, within the agreement's period (the
    agreement's end is exclusive) and not past its early end."""
    allocation = window.allocation
    last = allocation.end - timedelta(days=1)
    if allocation.terminated_on is not None:
        last = min(last, allocation.terminated_on - timedelta(days=1))
    return max(window.valid_from, allocation.start), min(window.valid_until, last)


def window_periods(window: SharingWindow, *, since: datetime | None = None) -> list[Period]:
    """The window's dates as periods in local time (clock changes kept at the same wall-clock
    times), those ending after `since` only, starting no earlier than `since`. Raises
    NonExistentLocalTimeError for a time skipped by a clock change."""
    zone = local_zone()
    first, last = window_days(window)
    day = first + timedelta(days=(window.weekday - first.weekday()) % 7)
    periods = []
    while day <= last:
        period = local_period(day, window.start_time, window.end_time, zone)
        if since is None or period.end > since:
            if since is not None and period.start < since:
                period = Period(since, period.end)
            periods.append(period)
        day += timedelta(days=7)
    return periods


def window_holds(window: SharingWindow, period: Period) -> bool:
    """Whether `period` lies entirely within one of the window's dates."""
    zone = local_zone()
    start = period.start.astimezone(zone)
    first, last = window_days(window)
    if start.weekday() != window.weekday or not first <= start.date() <= last:
        return False
    own = local_period(start.date(), window.start_time, window.end_time, zone)
    return own.start <= period.start and period.end <= own.end


def sharing_windows_active_on(*, space_id: int) -> list[SharingWindow]:
    """The active windows of `space` under an agreement that still occupies it, with their
    agreement and occupant (one query)."""
    return list(
        SharingWindow.objects.filter(
            space_id=space_id,
            status=SharingWindowStatus.ACTIVE,
            allocation__status__in=ALLOCATION_OCCUPYING,
        )
        .select_related("allocation", "allocation__structure")
        .order_by("pk")
    )


def sharing_window_for(
    *, space_id: int, periods: list[Period]
) -> tuple[SharingWindow | None, bool]:
    """The active window of `space` that holds every one of `periods`, and whether some of
    them (not all) fall in a window: (window or None, partly)."""
    windows = sharing_windows_active_on(space_id=space_id)
    holding = [[window for window in windows if window_holds(window, period)] for period in periods]
    for window in holding[0] if holding else []:
        if all(window in found for found in holding):
            return window, False
    return None, any(holding)
