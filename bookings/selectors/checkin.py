"""Reads of check-in (issue 16): a space's setting, the dates a member may check in at the
door, the no-shows counted per structure and listed per site."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, QuerySet

from accounts.selectors import AnyUser
from bookings.models import (
    CHECK_IN_OPENS_BEFORE_MINUTES,
    GRACE_MINUTES_MAX,
    BookingStatus,
    CheckInSetting,
    Occupancy,
    OccupancyKind,
)
from bookings.rules import check_in_window
from bookings.selectors.bookings import bookings_of_requester

# The no-shows a manager sees counted: those of the last twelve months.
NO_SHOW_PERIOD = timedelta(days=365)


def check_in_setting_of(*, space_id: int) -> CheckInSetting | None:
    return CheckInSetting.objects.filter(space_id=space_id).first()


def check_in_setting_by_token(*, token: str) -> CheckInSetting | None:
    """The setting whose door link carries `token` (a space whose check-in is required)."""
    if not token or len(token) > 64:
        return None
    return (
        CheckInSetting.objects.select_related("space", "space__site")
        .filter(token=token, required=True)
        .first()
    )


@dataclass(frozen=True)
class DoorDate:
    """A date of one of the user's structure's bookings, as the door page offers it."""

    row: Occupancy
    opens: datetime
    closes: datetime
    open_now: bool


def check_in_dates_at_door(
    *, user: AnyUser, setting: CheckInSetting, now: datetime
) -> list[DoorDate]:
    """The confirmed dates of the user's structures' bookings of the setting's space around
    `now`: those whose check-in window is open, checked in or released in it, in one query."""
    grace = timedelta(minutes=setting.grace_minutes)
    rows = (
        Occupancy.objects.filter(
            kind=OccupancyKind.BOOKING,
            active=True,
            space_id=setting.space_id,
            booking__in=bookings_of_requester(user).filter(status=BookingStatus.CONFIRMED),
            start__lte=now + timedelta(minutes=CHECK_IN_OPENS_BEFORE_MINUTES),
            start__gt=now - grace - timedelta(hours=1),
        )
        .select_related("booking", "booking__organisation")
        .order_by("start", "pk")
    )
    dates = []
    for row in rows:
        opens, closes = check_in_window(
            start=row.start,
            grace_minutes=setting.grace_minutes,
            opens_before_minutes=CHECK_IN_OPENS_BEFORE_MINUTES,
        )
        dates.append(DoorDate(row=row, opens=opens, closes=closes, open_now=opens <= now < closes))
    return dates


def check_in_candidates(*, now: datetime, lookback: timedelta) -> list[tuple[int, datetime, int]]:
    """The booked dates that may be no-shows at `now`: confirmed, active, neither checked in nor
    marked, on a space requiring check-in, started at least the smallest grace period ago and
    less than `lookback` ago, as (pk, start, grace minutes); the caller keeps those whose own
    grace is over."""
    return list(
        Occupancy.objects.filter(
            kind=OccupancyKind.BOOKING,
            active=True,
            checked_in_at__isnull=True,
            no_show_at__isnull=True,
            booking__status=BookingStatus.CONFIRMED,
            space__check_in__required=True,
            start__lte=now,
            start__gte=now - max(lookback, timedelta(minutes=GRACE_MINUTES_MAX)),
        )
        .order_by("start", "pk")
        .values_list("pk", "start", "space__check_in__grace_minutes")
    )


def no_shows_by_organisation(*, organisation_ids: list[int], now: datetime) -> dict[int, int]:
    """How many no-shows each of the organisations had over the last twelve months, every site
    counted, in one query (organisations without any are absent)."""
    if not organisation_ids:
        return {}
    return dict(
        Occupancy.objects.filter(
            no_show_at__gte=now - NO_SHOW_PERIOD,
            booking__organisation_id__in=set(organisation_ids),
        )
        .order_by()
        .values_list("booking__organisation_id")
        .annotate(count=Count("pk"))
        .values_list("booking__organisation_id", "count")
    )


def no_shows_of_site(*, site_id: int, now: datetime) -> QuerySet[Occupancy]:
    """The no-shows of the site's spaces over the last twelve months, latest first."""
    return (
        Occupancy.objects.filter(no_show_at__gte=now - NO_SHOW_PERIOD, space__site_id=site_id)
        .select_related("space", "booking", "booking__organisation")
        .order_by("-start", "-pk")
    )


def no_shows_of_site_per_structure(*, site_id: int, now: datetime) -> list[dict]:
    """Per structure, its no-shows at the site over the last twelve months and the latest:
    [{"organisation": id, "name", "count", "last"}], most first, in one query."""
    return list(
        Occupancy.objects.filter(no_show_at__gte=now - NO_SHOW_PERIOD, space__site_id=site_id)
        .order_by()
        .values("booking__organisation_id", "booking__organisation__name")
        .annotate(count=Count("pk"), last=Max("start"))
        .order_by("-count", "booking__organisation__name")
    )
