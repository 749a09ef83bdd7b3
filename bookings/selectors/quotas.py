"""Reads of booking quotas (issue 16): which quotas a request meets, what a structure already
holds under one, who may set them."""

from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.selectors import AnyUser
from bookings.models import OCCUPYING, Booking, BookingQuota, BookingStatus, Occupancy
from spaces.selectors import sites_manageable_by


def quota_on_site() -> Exists:
    """ "Has the space's site any quota?", for the booking request's locked read of a space: a
    request on a site without quotas then spends no query on them."""
    return Exists(BookingQuota.objects.filter(site=OuterRef("site_id")))


def quotas_applying(*, site_id: int, space_kind: str, organisation_id: int) -> QuerySet:
    """The quotas a request of `organisation_id` for a space of `space_kind` on `site_id`
    meets: the structure's own and those for every structure, for the whole site or that kind
    of space."""
    return (
        BookingQuota.objects.filter(site_id=site_id)
        .filter(Q(space_kind="") | Q(space_kind=space_kind))
        .filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))
        .order_by("pk")
    )


def _in_scope(quota: BookingQuota, prefix: str = "") -> Q:
    scope = Q(**{f"{prefix}space__site_id": quota.site_id})
    if quota.space_kind:
        scope &= Q(**{f"{prefix}space__kind": quota.space_kind})
    return scope


def quota_dates_held(
    *, quota: BookingQuota, organisation_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The dates the structure holds under `quota` (active dates of its pending and confirmed
    bookings) that start within [start, end), as (start, end)."""
    return list(
        Occupancy.objects.filter(
            _in_scope(quota),
            active=True,
            booking__organisation_id=organisation_id,
            booking__status__in=OCCUPYING,
            start__gte=start,
            start__lt=end,
        )
        .order_by("start")
        .values_list("start", "end")
    )


def quota_pending_count(*, quota: BookingQuota, organisation_id: int, now: datetime) -> int:
    """How many of the structure's requests under `quota` await a decision (those whose time
    to be decided is over no longer count: they lapse)."""
    return (
        Booking.objects.filter(
            _in_scope(quota),
            organisation_id=organisation_id,
            status=BookingStatus.PENDING,
        )
        .exclude(lapses_at__lte=now)
        .count()
    )


def quotas_manageable_by(user: AnyUser) -> QuerySet[BookingQuota]:
    """Quotas the user may change or remove: those of the sites they manage."""
    return BookingQuota.objects.filter(site__in=sites_manageable_by(user).values("pk"))


def quota_of(*, site_id: int, space_kind: str, organisation_id: int | None) -> BookingQuota | None:
    """The site's quota for this structure (None: every structure) and kind of space ("":
    every space), if it has one: there is at most one (a unique constraint)."""
    return BookingQuota.objects.filter(
        site_id=site_id, space_kind=space_kind or "", organisation_id=organisation_id
    ).first()


def quotas_of_site(site_id: int) -> QuerySet[BookingQuota]:
    """A site's quotas, as its page lists them: for every structure first, then by name."""
    return (
        BookingQuota.objects.filter(site_id=site_id)
        .select_related("organisation")
        .order_by(F("organisation__name").asc(nulls_first=True), "space_kind", "pk")
    )
