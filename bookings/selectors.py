"""Reads of bookings and occupancy; permission-scoped querysets and the availability search."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Booking, BookingStatus, Occupancy
from bookings.rules import Period
from spaces.models import BufferMinutes, OpeningHours, SiteStatus, Space, SpaceStatus
from spaces.selectors import catalogue_spaces, sites_manageable_by


def local_zone() -> ZoneInfo:
    """The sites' time zone (all sites are in mainland France)."""
    return timezone.get_default_timezone()


def bookings_visible_to(user: AnyUser) -> QuerySet[Booking]:
    """Their organisation's bookings for members; the bookings of their sites for managers."""
    if user_is_territory_admin(user):
        return Booking.objects.all()
    if not user.is_authenticated:
        return Booking.objects.none()
    return Booking.objects.filter(
        Q(organisation__in=organisations_of(user))
        | Q(space__site__in=sites_manageable_by(user).values("pk"))
    )


def bookings_manageable_by(user: AnyUser) -> QuerySet[Booking]:
    """Bookings the user may approve, refuse or cancel as a manager."""
    return Booking.objects.filter(space__site__in=sites_manageable_by(user).values("pk"))


def bookings_of_requester(user: AnyUser) -> QuerySet[Booking]:
    """Bookings the user may cancel as a requester (within the cancellation notice)."""
    return Booking.objects.filter(organisation__in=organisations_of(user))


def bookings_pending_for(user: AnyUser) -> QuerySet[Booking]:
    return (
        bookings_manageable_by(user)
        .filter(status=BookingStatus.PENDING)
        .select_related("space", "space__site", "organisation", "requested_by")
        .order_by("start", "pk")
    )


def occupancies_clashing(*, space: Space, periods: list[Period]) -> list[Occupancy]:
    """Active occupancy of `space` that any of `periods` (plus the space's buffer) would hit."""
    if not periods:
        return []
    buffer = timedelta(minutes=space.buffer_minutes)
    first = min(period.start for period in periods)
    last = max(period.end for period in periods) + buffer
    candidates = Occupancy.objects.filter(
        space=space, active=True, start__lt=last, blocked_until__gt=first
    ).order_by("start")
    return [
        occupancy
        for occupancy in candidates
        if any(
            period.start < occupancy.blocked_until and occupancy.start < period.end + buffer
            for period in periods
        )
    ]


def _free_during(period: Period) -> Q:
    """Spaces with no active occupancy in [start, end + their buffer)."""
    # One branch per buffer value (a short fixed list), so each branch compares plain columns.
    reaches = Q()
    for minutes in BufferMinutes.values:
        reaches |= Q(
            space__buffer_minutes=minutes, start__lt=period.end + timedelta(minutes=minutes)
        )
    busy = Occupancy.objects.filter(
        reaches, space=OuterRef("pk"), active=True, blocked_until__gt=period.start
    )
    return ~Q(Exists(busy))


def _open_during(local: Period) -> Q:
    """Spaces without opening hours, or with a window holding the whole local period."""
    any_hours = OpeningHours.objects.filter(space=OuterRef("pk"))
    fitting = any_hours.filter(
        weekday=local.start.weekday(), opens__lte=local.start.time(), closes__gte=local.end.time()
    )
    if local.start.date() != local.end.date():
        return ~Q(Exists(any_hours))
    return ~Q(Exists(any_hours)) | Q(Exists(fitting))


def spaces_available(
    *, user: AnyUser, period: Period, now: datetime | None = None
) -> QuerySet[Space]:
    """Bookable spaces free for `period`, whose rules allow it: one query, no recurrence expansion."""
    now = now or timezone.now()
    minutes = int(period.elapsed.total_seconds() // 60)
    hours_ahead = (period.start - now).total_seconds() / 3600
    zone = local_zone()
    local = Period(period.start.astimezone(zone), period.end.astimezone(zone))
    return catalogue_spaces(user).filter(
        _free_during(period),
        _open_during(local),
        bookable=True,
        status=SpaceStatus.AVAILABLE,
        site__status=SiteStatus.OPEN,
        min_booking_minutes__lte=minutes,
        max_booking_minutes__gte=minutes,
        min_notice_hours__lte=hours_ahead,
        max_advance_days__gte=hours_ahead / 24,
    )


def space_occupancy(*, space: Space, start: datetime, end: datetime) -> QuerySet[Occupancy]:
    """Active occupancy of a space in a window, with what a calendar shows, in one query."""
    return (
        Occupancy.objects.filter(space=space, active=True, start__lt=end, end__gt=start)
        .select_related("booking", "booking__organisation", "closure")
        .order_by("start")
    )


def booking_detail(*, user: AnyUser) -> QuerySet[Booking]:
    return bookings_visible_to(user).select_related(
        "space", "space__site", "space__site__commune", "organisation", "requested_by"
    )


def booking_occupancies(*, booking: Booking) -> QuerySet[Occupancy]:
    return booking.occupancies.order_by("start")


def busy_periods(
    *, user: AnyUser, space: Space, start: datetime, end: datetime, is_manager: bool
) -> list[dict]:
    """What a week view shows; who booked is shown to managers and to the booking's own members."""
    own = (
        set(organisations_of(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    )
    periods = []
    for occupancy in space_occupancy(space=space, start=start, end=end):
        booking = occupancy.booking
        shown = booking is not None and (is_manager or booking.organisation_id in own)
        if occupancy.closure is not None:
            label = occupancy.closure.reason
        elif shown:
            label = f"{booking.organisation.name} — {booking.purpose}"
        else:
            label = None
        periods.append(
            {
                "start": occupancy.start,
                "end": occupancy.end,
                "kind": occupancy.kind,
                "status": booking.status if booking is not None else None,
                "label": label,
                "booking_id": booking.pk if shown else None,
            }
        )
    return periods
