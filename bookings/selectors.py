"""Reads of bookings and occupancy; permission-scoped querysets and the availability search."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import MembershipRole, Organisation, OrganisationKind
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import (
    Allocation,
    AllocationLog,
    Booking,
    BookingStatus,
    Closure,
    Occupancy,
    OccupancyKind,
)
from bookings.rules import Period, french_public_holidays, local_period
from spaces.models import BufferMinutes, OpeningHours, Site, SiteStatus, Space, SpaceStatus
from spaces.selectors import catalogue_spaces, sites_manageable_by, spaces_manageable_by


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
    # One branch per buffer value (a short fixed list), so each branch compares plain columns;
    # the buffer is the outer space's own column (no join in the subquery).
    reaches = Q()
    for minutes in BufferMinutes.values:
        reaches |= Q(
            Exact(OuterRef("buffer_minutes"), minutes),
            start__lt=period.end + timedelta(minutes=minutes),
        )
    busy = Occupancy.objects.filter(
        reaches, space=OuterRef("pk"), active=True, blocked_until__gt=period.start
    )
    if connection.vendor == "postgresql":
        busy = _overlapping_on_postgresql(busy, period)
    return ~Q(Exists(busy))


def _overlapping_on_postgresql(busy: QuerySet[Occupancy], period: Period) -> QuerySet[Occupancy]:
    """The same rows, narrowed by a range test that the no-overlap constraint's GiST index
    (migration 0002, `tstzrange(start, blocked_until, '[)')`, active rows) answers.

    Without it, PostgreSQL reads every row of every space (one index scan per space): ~30 ms
    for 500 spaces and 200,000 rows; with it, one index scan finds the few hundred rows near
    the slot, widened by the longest buffer (~1.6 ms; docs/benchmarks.md).
    """
    from django.contrib.postgres.fields import DateTimeRangeField

    blocked = Func(
        F("start"),
        F("blocked_until"),
        Value("[)"),
        function="TSTZRANGE",
        output_field=DateTimeRangeField(),
    )
    widest = period.end + timedelta(minutes=max(BufferMinutes.values))
    return busy.alias(blocked=blocked).filter(blocked__overlap=(period.start, widest))


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


# --- Calendars (HTML calendars and their JSON feed) and closures ---

# The longest window a calendar may ask for: a month view shows six weeks.
CALENDAR_MAX_DAYS = 62


@dataclass(frozen=True)
class CalendarEntry:
    """One active occupancy row as a calendar shows it."""

    start: datetime
    end: datetime
    space_name: str  # "whole site" for a site closure shown once for all its spaces
    kind: str
    status: str | None  # the booking's status; None for closures and allocations
    title: str  # the status first (never colour alone), then who or why when visible
    booking_id: int | None  # only when the user may see who booked

    @property
    def css_class(self) -> str:
        return f"cal-{self.status if self.kind == OccupancyKind.BOOKING else self.kind}"


def occupancies_in_window(
    *, spaces: QuerySet[Space], start: datetime, end: datetime
) -> QuerySet[Occupancy]:
    """Active occupancy of `spaces` overlapping [start, end), with what a calendar shows."""
    return (
        Occupancy.objects.filter(space__in=spaces, active=True, start__lt=end, end__gt=start)
        .select_related("space", "booking", "booking__organisation", "closure")
        .order_by("start", "space__name", "pk")
    )


def _entry_title(occupancy: Occupancy, *, shown: bool) -> str:
    booking = occupancy.booking
    if occupancy.closure is not None:
        return _("Closed: %(reason)s") % {"reason": occupancy.closure.reason}
    if booking is None:
        return _("Allocated")
    status = BookingStatus(booking.status).label
    if not shown:
        return str(status)
    return _("%(status)s: %(organisation)s — %(purpose)s") % {
        "status": status,
        "organisation": booking.organisation.name,
        "purpose": booking.purpose,
    }


def calendar_entries(
    *,
    user: AnyUser,
    spaces: QuerySet[Space],
    start: datetime,
    end: datetime,
    with_space: bool = False,
) -> list[CalendarEntry]:
    """What a calendar shows for `spaces` in [start, end): read from Occupancy, never expanded.

    Who booked (and a link to the booking) is shown to the managers of the site and to the
    booking's own organisation; others see only the status. A site closure, stored once per
    space, is shown once. `with_space` prefixes each title with the space's name. Three queries
    whatever the number of rows.
    """
    managed = set(
        sites_manageable_by(user)
        .filter(pk__in=spaces.values("site_id"))
        .values_list("pk", flat=True)
    )
    own = (
        set(organisations_of(user).values_list("pk", flat=True)) if user.is_authenticated else set()
    )
    entries = []
    closures_seen: set[int] = set()
    for occupancy in occupancies_in_window(spaces=spaces, start=start, end=end):
        closure, booking = occupancy.closure, occupancy.booking
        space_name = occupancy.space.name
        if closure is not None and closure.site_id is not None:
            if closure.pk in closures_seen:
                continue
            closures_seen.add(closure.pk)
            space_name = _("whole site")
        shown = booking is not None and (
            occupancy.space.site_id in managed or booking.organisation_id in own
        )
        title = _entry_title(occupancy, shown=shown)
        if with_space:
            title = _("%(space)s — %(title)s") % {"space": space_name, "title": title}
        entries.append(
            CalendarEntry(
                start=occupancy.start,
                end=occupancy.end,
                space_name=space_name,
                kind=occupancy.kind,
                status=booking.status if booking is not None else None,
                title=title,
                booking_id=booking.pk if shown else None,
            )
        )
    return entries


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


# --- Long-term allocations (occupancy agreements) and the site timeline ---


def _allocations_on_sites(sites: QuerySet) -> QuerySet:
    return Allocation.spaces.through.objects.filter(space__site__in=sites.values("pk")).values(
        "allocation_id"
    )


def allocations_visible_to(user: AnyUser) -> QuerySet[Allocation]:
    """The structure's members see its agreements; the managers of a space see those on it;
    the intercommunality sees all."""
    if user_is_territory_admin(user):
        return Allocation.objects.all()
    if not user.is_authenticated:
        return Allocation.objects.none()
    return Allocation.objects.filter(
        Q(structure__in=organisations_of(user).values("pk"))
        | Q(pk__in=_allocations_on_sites(sites_manageable_by(user)))
    )


def allocations_manageable_by(user: AnyUser) -> QuerySet[Allocation]:
    """Agreements the user may sign, end, renew and follow (keys, inventories) as a manager."""
    if user_is_territory_admin(user):
        return Allocation.objects.all()
    if not user.is_authenticated:
        return Allocation.objects.none()
    return Allocation.objects.filter(pk__in=_allocations_on_sites(sites_manageable_by(user)))


def allocations_answerable_by(user: AnyUser) -> QuerySet[Allocation]:
    """Agreements the user may accept or decline: their structure's, as its administrator
    (accepting commits the structure to the house rules and the fee)."""
    if not user.is_authenticated:
        return Allocation.objects.none()
    return Allocation.objects.filter(
        structure__in=Organisation.objects.filter(
            memberships__user=user, memberships__role=MembershipRole.ADMIN
        ).values("pk")
    )


def allocation_detail(*, user: AnyUser) -> QuerySet[Allocation]:
    """Visible agreements with what their page, their PDF and the API show."""
    return (
        allocations_visible_to(user)
        .select_related("structure", "owner", "created_by", "renews", "renewal")
        .prefetch_related(
            Prefetch(
                "spaces",
                queryset=Space.objects.select_related("site", "site__commune").order_by(
                    "site__name", "floor", "name"
                ),
            ),
            Prefetch("log", queryset=AllocationLog.objects.select_related("actor")),
            "keys",
            "inventories__photos",
        )
    )


def allocation_list(*, user: AnyUser) -> QuerySet[Allocation]:
    return (
        allocations_visible_to(user)
        .select_related("structure", "owner")
        .prefetch_related(
            Prefetch("spaces", queryset=Space.objects.select_related("site").order_by("name"))
        )
        .order_by("-start", "-pk")
    )


def spaces_allocatable_by(user: AnyUser) -> QuerySet[Space]:
    """Spaces the user may offer long-term without a call: managed and allocatable."""
    return (
        spaces_manageable_by(user)
        .filter(allocatable=True)
        .select_related("site", "site__commune")
        .order_by("site__name", "floor", "name")
    )


def structures_eligible_for_allocation() -> QuerySet[Organisation]:
    """ESS structures the intercommunality verified: the only possible occupants."""
    return Organisation.objects.filter(
        kind=OrganisationKind.ESS, verified_at__isnull=False
    ).order_by("name")


def occupancies_blocking_allocation(*, allocation: Allocation) -> QuerySet[Occupancy]:
    """Active occupancy of the agreement's spaces during its period (its own rows aside):
    what signing it would clash with, with what a list of clashes shows."""
    zone = local_zone()
    start = datetime.combine(allocation.start, time(0), tzinfo=zone)
    end = datetime.combine(allocation.end, time(0), tzinfo=zone)
    return (
        Occupancy.objects.filter(
            space__in=Allocation.spaces.through.objects.filter(allocation=allocation).values(
                "space_id"
            ),
            active=True,
            start__lt=end,
            blocked_until__gt=start,
        )
        .exclude(allocation=allocation)
        .select_related("space", "booking", "booking__organisation", "closure", "allocation")
        .order_by("start", "space__name", "pk")
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One active occupancy row on a site timeline."""

    start: datetime
    end: datetime
    kind: str
    label: str  # who (or why, for a closure), then the status
    allocation_id: int | None
    booking_id: int | None


@dataclass
class TimelineRow:
    """A space of the site and its occupancy in the window, oldest first."""

    space: Space
    entries: list[TimelineEntry]


def _timeline_label(occupancy: Occupancy) -> str:
    if occupancy.allocation is not None:
        return _("Agreement with %(structure)s (%(status)s)") % {
            "structure": occupancy.allocation.structure.name,
            "status": occupancy.allocation.get_status_display().lower(),
        }
    if occupancy.booking is not None:
        return _("%(organisation)s — %(purpose)s (%(status)s)") % {
            "organisation": occupancy.booking.organisation.name,
            "purpose": occupancy.booking.purpose,
            "status": occupancy.booking.get_status_display().lower(),
        }
    return _("Closed: %(reason)s") % {"reason": occupancy.closure.reason}


def site_timeline(*, site_id: int, start: datetime, end: datetime) -> list[TimelineRow]:
    """Each space of a site with its agreements, bookings and closures in [start, end).

    For the site's managers (names are shown). Read from Occupancy: two queries whatever the
    number of spaces and rows.
    """
    rows = {
        space.pk: TimelineRow(space=space, entries=[])
        for space in Space.objects.filter(site_id=site_id).order_by("floor", "name", "pk")
    }
    occupancy = (
        Occupancy.objects.filter(space__site_id=site_id, active=True, start__lt=end, end__gt=start)
        .select_related(
            "booking", "booking__organisation", "closure", "allocation", "allocation__structure"
        )
        .order_by("start", "pk")
    )
    for row in occupancy:
        rows[row.space_id].entries.append(
            TimelineEntry(
                start=row.start,
                end=row.end,
                kind=row.kind,
                label=_timeline_label(row),
                allocation_id=row.allocation_id,
                booking_id=row.booking_id,
            )
        )
    return list(rows.values())


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
        Occupancy.objects.filter(
            space__in=spaces, active=True, start__lt=period.end, blocked_until__gt=period.start
        )
        .select_related("space", "booking", "booking__organisation", "closure")
        .order_by("start", "space__name", "pk")
    )
    if site is not None:
        allocated = {row.space_id for row in hits if row.kind == OccupancyKind.ALLOCATION}
        spaces = [target for target in spaces if target.pk not in allocated]
        hits = [row for row in hits if row.space_id not in allocated]
    return spaces, hits
