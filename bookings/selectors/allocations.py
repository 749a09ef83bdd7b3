"""Reads of long-term allocations (occupancy agreements): permission querysets, lists, the
spaces that may be offered, and what an agreement would clash with."""

from datetime import datetime, time

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import MembershipRole, Organisation, OrganisationKind
from accounts.selectors import (
    AnyUser,
    organisations_of,
    token_organisation_id,
    user_is_territory_admin,
)
from bookings.models import Allocation, AllocationLog, Occupancy, OccupancyKind
from bookings.rules import Period
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import occupancies_overlapping
from spaces.models import Space
from spaces.selectors import sites_manageable_by, spaces_manageable_by


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
    structures = Organisation.objects.filter(
        memberships__user=user, memberships__role=MembershipRole.ADMIN
    )
    scoped = token_organisation_id(user)  # an organisation's API token answers for it alone
    if scoped is not None:
        structures = structures.filter(pk=scoped)
    return Allocation.objects.filter(structure__in=structures.values("pk"))


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


def _allocation_period(allocation: Allocation) -> Period:
    zone = local_zone()
    return Period(
        datetime.combine(allocation.start, time(0), tzinfo=zone),
        datetime.combine(allocation.end, time(0), tzinfo=zone),
    )


def occupancies_blocking_allocation(*, allocation: Allocation) -> QuerySet[Occupancy]:
    """Active occupancy of the agreement's spaces during its period (its own rows aside):
    what signing it would clash with, with what a list of clashes shows."""
    return (
        occupancies_overlapping(
            spaces=Allocation.spaces.through.objects.filter(allocation=allocation).values(
                "space_id"
            ),
            periods=_allocation_period(allocation),
            exclude_allocation=allocation,
        )
        .select_related("space", "booking", "booking__organisation", "closure", "allocation")
        .order_by("start", "space__name", "pk")
    )


def occupancies_allocated(
    *, spaces: list[Space], period: Period, exclude: Allocation | None = None
) -> QuerySet[Occupancy]:
    """Active agreement rows of `spaces` overlapping `period` (`exclude`'s own aside): what an
    offer over that period would clash with. Agreement rows carry no buffer (their
    blocked_until is their end), so this is also the time the agreements hold."""
    return occupancies_overlapping(
        spaces=spaces, periods=period, exclude_allocation=exclude
    ).filter(kind=OccupancyKind.ALLOCATION)
