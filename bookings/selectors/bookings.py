"""Reads of bookings: the permission querysets and what a booking's page shows."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.conflicts import users_impartial_on
from accounts.models import Membership, MembershipRole, Organisation, User
from accounts.selectors import (
    AnyUser,
    organisations_of,
    token_organisation_id,
    user_is_territory_admin,
)
from bookings.models import Booking, BookingStatus, Occupancy
from core.compiled import CompiledQuery
from core.memo import remember, remembered
from spaces.models import Site
from spaces.selectors import SiteRole, sites_manageable_by, sites_managed_by, users_managing_site

# Who is asked to decide a request, tier after tier: the site's facilities managers, else the
# owner's staff (a commune's for its premises, the intercommunality's for its own), else the
# intercommunality's people. Superusers (the platform's operators) may decide but are never
# asked (docs/decisions.md, issue 12).
ROUTING_TIERS = (SiteRole.FACILITIES_MANAGER, SiteRole.OWNER_STAFF, SiteRole.TERRITORY)


def bookings_visible_to(user: AnyUser) -> QuerySet[Booking]:
    """Their organisation's bookings for members; the bookings of their sites for managers."""
    if user_is_territory_admin(user):
        return Booking.objects.all()
    if not user.is_authenticated:
        return Booking.objects.none()
    return bookings_of_member(user)


def bookings_of_member(user: User) -> QuerySet[Booking]:
    """`bookings_visible_to` a signed-in user who does not steer the territory: their
    organisations' bookings and those of the sites they manage. Asks the database nothing while
    it builds (the bookings list compiles it once: api.bookings)."""
    return Booking.objects.filter(
        Q(organisation__in=organisations_of(user))
        | Q(space__site__in=sites_managed_by(user).values("pk"))
        | _shared_with(user)
    )


def _shared_with(user: AnyUser) -> Q:
    """Bookings made in a shared time of an agreement of the user's organisations (issue 17):
    the occupant sees them and decides them with the managers."""
    return Q(
        sharing_window__isnull=False,
        sharing_window__allocation__structure__in=organisations_of(user).values("pk"),
    )


def bookings_manageable_by(user: AnyUser) -> QuerySet[Booking]:
    """Bookings the user may approve, refuse or cancel as a manager."""
    return Booking.objects.filter(space__site__in=sites_manageable_by(user).values("pk"))


def bookings_decidable_by(user: AnyUser) -> QuerySet[Booking]:
    """Bookings the user may approve or refuse: as a manager (`bookings_manageable_by`), or,
    for those made in a time its occupant shares (issue 17), as a member of that occupant."""
    if not user.is_authenticated:
        return Booking.objects.none()
    return Booking.objects.filter(
        Q(space__site__in=sites_manageable_by(user).values("pk")) | _shared_with(user)
    )


def bookings_of_requester(user: AnyUser) -> QuerySet[Booking]:
    """Bookings the user may cancel as a requester (within the cancellation notice)."""
    return Booking.objects.filter(organisation__in=organisations_of(user))


def bookings_pending_for(user: AnyUser) -> QuerySet[Booking]:
    return (
        bookings_decidable_by(user)
        .filter(status=BookingStatus.PENDING)
        .select_related("space", "space__site", "organisation", "requested_by")
        .order_by("start", "pk")
    )


def bookings_pending_count(user: AnyUser) -> int:
    """How many requests await the user's decision (the menu's count), counted once per request;
    the queue, which lists them all, tells it with `bookings_pending_count_known`."""
    return remembered(
        ("bookings_pending_count", user.pk), lambda: bookings_pending_for(user).count()
    )


def bookings_pending_count_known(user: AnyUser, count: int) -> None:
    """The page has just listed every request awaiting the user's decision: `count` of them."""
    remember(("bookings_pending_count", user.pk), count)


def bookings_of_organisations_of(user: AnyUser) -> list[tuple[int, datetime]]:
    """The bookings of the user's organisations for "My bookings", as (pk, last_end) rows in
    their order (start, then pk), `last_end` being when their last date ends (cancelled dates
    included): the page splits them into upcoming and past and pages each list in Python,
    then reads the shown ones with `bookings_for_list`. One light query instead of a count
    and a page of wide rows per list."""
    last = Occupancy.objects.filter(booking=OuterRef("pk")).order_by("-end").values("end")[:1]
    return list(
        Booking.objects.filter(organisation__in=organisations_of(user))
        .annotate(last_end=Coalesce(Subquery(last), F("end")))
        .order_by("start", "pk")
        .values_list("pk", "last_end")
    )


# What "My bookings" shows and prices of a booking's space, site and organisation.
_LIST_RELATED = (
    "space__name",
    "space__site_id",
    "space__site__name",
    "space__site__owner_id",
    "space__site__managing_organisation_id",
    "organisation__name",
    "organisation__kind",
    "organisation__ess_family",
    "organisation__siae_kind",
)
_BOOKING_FIELDS = tuple(field.name for field in Booking._meta.concrete_fields)


def bookings_for_list(pks: list[int]) -> dict[int, Booking]:
    """The bookings `pks` (already allowed to the viewer) by pk, in one query, with of their
    space, site and organisation only what a list of bookings shows and prices (the names, the
    site's owner and managing organisation, the organisation's kind, ESS family and SIAE kind:
    its tariff category). Their wide rows (descriptions, addresses, accessibility, legal
    identifiers) took half the query's time; another field read costs a query per row, which
    tests/test_query_counts.py would show."""
    if not pks:
        return {}
    return (
        Booking.objects.select_related("space__site", "organisation")
        .only(*_BOOKING_FIELDS, *_LIST_RELATED)
        .in_bulk(pks)
    )


def booking_dates_of(
    bookings: Iterable[Booking],
) -> dict[int, list[tuple[datetime, datetime, bool]]]:
    """The dates of `bookings`, cancelled ones included, in order: (start, end, active) per
    booking id, in one query. Plain tuples, not Occupancy instances: a member's page lists
    hundreds of dates, of which it shows only these three fields."""
    dates: dict[int, list[tuple[datetime, datetime, bool]]] = {}
    pks = [booking.pk for booking in bookings]
    if not pks:
        return dates
    rows = (
        Occupancy.objects.filter(booking__in=pks)
        .order_by("start", "pk")
        .values_list("booking_id", "start", "end", "active")
    )
    for booking_id, start, end, active in rows:
        dates.setdefault(booking_id, []).append((start, end, active))
    return dates


def bookings_pending_table(user: AnyUser) -> QuerySet[Booking]:
    """The requests awaiting the user's decision with what the queue shows of them: the number
    of dates a series holds (`dates`)."""
    # A subquery per listed row, not a join and GROUP BY: PostgreSQL joined every pending
    # request's dates (all sites) before narrowing to the user's sites, ≈ 20 ms per page on
    # the load benchmark's 55,000 dates; the subquery reads the listed rows' dates by index.
    active_dates = (
        Occupancy.objects.filter(booking=OuterRef("pk"), active=True)
        .order_by()
        .values("booking")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return bookings_pending_for(user).annotate(dates=Coalesce(Subquery(active_dates), 0))


# The queue of a site's manager compiled once per process (its user's id the one value; ≈ 1.7
# of the page's 18 ms of CPU went to compiling it). The intercommunality's people, whose queue
# is every pending request, and an organisation's API token get other SQL: built each time.
_PENDING_TABLE_OF_MANAGER = CompiledQuery(
    lambda user: bookings_pending_table(User(pk=user)), user=int
)


def bookings_pending_rows(user: AnyUser) -> list[Booking]:
    """`bookings_pending_table(user)`, read."""
    if (
        not user.is_authenticated
        or user_is_territory_admin(user)
        or token_organisation_id(user) is not None
    ):
        return list(bookings_pending_table(user))
    return _PENDING_TABLE_OF_MANAGER.run(user=user.pk)


def booking_detail(*, user: AnyUser) -> QuerySet[Booking]:
    return bookings_visible_to(user).select_related(
        "space",
        "space__site",
        "space__site__commune",
        "organisation",
        "requested_by",
        "sharing_window__allocation__structure",  # issue 17: a room lent by its occupant
    )


def booking_occupancies(*, booking: Booking) -> QuerySet[Occupancy]:
    return booking.occupancies.order_by("start")


@dataclass(frozen=True)
class Routing:
    """Who decides a request: the tier it went to (None: nobody can) and its people."""

    tier: SiteRole | None
    deciders: list[User]


def _able_to_decide(site: int, organisation: int) -> QuerySet[User]:
    """Who may act on a request for a space of `site` by `organisation`, with the tiers they
    are in (`in_<role>`): see `booking_routing`."""
    tiers = {
        f"in_{role}": Exists(
            users_managing_site(Site(pk=site), role=role).filter(pk=OuterRef("pk"))
        )
        for role in ROUTING_TIERS
    }
    anyone = Q()
    for name in tiers:
        anyone |= Q(**{name: True})
    return (
        users_impartial_on(Organisation(pk=organisation))
        .filter(is_active=True, erased_at__isnull=True, email_confirmed_at__isnull=False)
        .annotate(**tiers)
        .filter(anyone)
        .order_by("email")
    )


# Compiled once per process: every request and every lapse routes (compiling took 10 of the
# creation's 40 ms; docs/decisions.md, issue 18).
_ABLE_TO_DECIDE = CompiledQuery(_able_to_decide, site=int, organisation=int)


def booking_routing(booking: Booking) -> Routing:
    """Route a request on `booking`: the first tier of `ROUTING_TIERS` with someone in it who
    can act on it — an active account (not erased, address confirmed: they can sign in) with no
    conflict of interest with the requesting organisation. Each of them sees the booking in
    `bookings_pending_for` and passes `booking_check_decider` while it is pending. One query
    for every tier: each person says which tiers they are in.

    A request made in a time the occupant of an agreement shares (issue 17) goes to the
    occupant's members as well (one more query, for those requests only)."""
    routing = routing_of(site_id=booking.space.site_id, organisation_id=booking.organisation_id)
    if booking.sharing_window_id is None:
        return routing
    occupants = list(
        users_impartial_on(Organisation(pk=booking.organisation_id))
        .filter(
            is_active=True,
            erased_at__isnull=True,
            email_confirmed_at__isnull=False,
            memberships__organisation__allocations__sharing_windows=booking.sharing_window_id,
        )
        .distinct()
        .order_by("email")
    )
    known = {user.pk for user in routing.deciders}
    return Routing(
        tier=routing.tier,
        deciders=routing.deciders + [user for user in occupants if user.pk not in known],
    )


def routing_of(*, site_id: int, organisation_id: int) -> Routing:
    """`booking_routing` for what a structure asks of a site without a booking yet (a wait for
    a slot, issue 16): the same tiers, the same people."""
    able = _ABLE_TO_DECIDE.run(site=site_id, organisation=organisation_id)
    for role in ROUTING_TIERS:
        people = [user for user in able if getattr(user, f"in_{role}")]
        if people:
            return Routing(tier=role, deciders=people)
    return Routing(tier=None, deciders=[])


def booking_requesters(booking: Booking, *, is_member: bool = False) -> list[User]:
    """Who hears about `booking` for the requesting organisation: the member who requested it;
    if that account can no longer receive anything (deactivated, erased, or no longer a member),
    the organisation's administrators. `is_member`: the caller already knows the requester is
    a member (it checked in the same transaction)."""
    requester = booking.requested_by
    if (
        requester.is_active
        and requester.erased_at is None
        and (
            is_member
            or Membership.objects.filter(user=requester, organisation=booking.organisation).exists()
        )
    ):
        return [requester]
    return list(
        User.objects.filter(
            is_active=True,
            erased_at__isnull=True,
            memberships__organisation=booking.organisation,
            memberships__role=MembershipRole.ADMIN,
        ).order_by("email")
    )
