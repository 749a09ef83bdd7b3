"""Reads of the premises inventory; permission-scoped querysets live here.

Every view, admin page and API endpoint fetches sites and spaces through these functions, so an
outsider gets a 404 and a list can never show another organisation's unpublished premises.
"""

from datetime import date

from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from spaces.models import Commune, Photo, Site, SiteManager, SiteStatus, Space


def communes_in_territory(*, on: date | None = None) -> QuerySet[Commune]:
    """Communes that belong to an intercommunality of the platform on the given day."""
    on = on or timezone.localdate()
    return Commune.objects.filter(
        Q(epci_memberships__start__lte=on)
        & (Q(epci_memberships__end__isnull=True) | Q(epci_memberships__end__gt=on))
    ).distinct()


def sites_manageable_by(user: AnyUser) -> QuerySet[Site]:
    """Sites the user may edit: all for the intercommunality, the owner's staff, the managers."""
    if user_is_territory_admin(user):
        return Site.objects.all()
    if not user.is_authenticated:
        return Site.objects.none()
    managed = Site.managers.through.objects.filter(user=user).values("site_id")
    return Site.objects.filter(Q(owner__in=organisations_of(user)) | Q(pk__in=managed))


def sites_of_owner_staff(user: AnyUser) -> QuerySet[Site]:
    """Sites whose owner the user works for (commune staff for a commune's premises, the
    intercommunality's people for its own). Superusers, the platform's operators, act for all."""
    if not user.is_authenticated:
        return Site.objects.none()
    if user.is_superuser:
        return Site.objects.all()
    return Site.objects.filter(owner__in=organisations_of(user).values("pk"))


def sites_committable_by(user: AnyUser) -> QuerySet[Site]:
    """Sites on whose owner's behalf the user may commit to agreements, free use or a fee: the
    owner's staff, and the facilities managers the owner delegated it to. Managing a building
    is not enough (docs/decisions.md, decision matrix)."""
    if not user.is_authenticated:
        return Site.objects.none()
    delegated = SiteManager.objects.filter(user=user, may_commit_owner=True).values("site_id")
    return Site.objects.filter(
        Q(pk__in=sites_of_owner_staff(user).values("pk")) | Q(pk__in=delegated)
    )


def sites_visible_to(user: AnyUser) -> QuerySet[Site]:
    """Published sites for everyone, plus the unpublished ones the user manages."""
    return Site.objects.filter(
        Q(is_published=True) | Q(pk__in=sites_manageable_by(user).values("pk"))
    )


def site_owners_for(user: AnyUser) -> QuerySet[Organisation]:
    """Organisations on whose behalf the user may list a new site."""
    public_bodies = Organisation.objects.filter(
        kind__in=[OrganisationKind.EPCI, OrganisationKind.COMMUNE, OrganisationKind.OTHER]
    )
    if user_is_territory_admin(user):
        return public_bodies
    return public_bodies.filter(pk__in=organisations_of(user).values("pk"))


def spaces_visible_to(user: AnyUser) -> QuerySet[Space]:
    return Space.objects.filter(site__in=sites_visible_to(user).values("pk"))


def spaces_manageable_by(user: AnyUser) -> QuerySet[Space]:
    return Space.objects.filter(site__in=sites_manageable_by(user).values("pk"))


def step_free_q(prefix: str = "") -> Q:
    """A space is reachable without steps: step-free entrance, and ground floor or a lift."""
    return Q(**{f"{prefix}site__step_free_entrance": True}) & (
        Q(**{f"{prefix}floor": 0}) | Q(**{f"{prefix}site__has_lift": True})
    )


def with_step_free(spaces: QuerySet[Space]) -> QuerySet[Space]:
    """Annotate `step_free` with the same rule as the catalogue filter."""
    return spaces.annotate(
        step_free=Case(
            When(step_free_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def catalogue_spaces(user: AnyUser) -> QuerySet[Space]:
    """Spaces for the public catalogue, with what a list or a card shows, in a fixed query count."""
    return (
        with_step_free(spaces_visible_to(user))
        .exclude(site__status=SiteStatus.CLOSED)
        .select_related("site", "site__commune")
        .prefetch_related(
            "amenities",
            Prefetch("photos", queryset=Photo.objects.order_by("position", "pk")),
        )
        .order_by("site__commune__name", "site__name", "floor", "name")
    )


def catalogue_sites(user: AnyUser) -> QuerySet[Site]:
    """Sites listed in the catalogue and the API: closed buildings are left out, as their spaces."""
    return (
        sites_visible_to(user)
        .exclude(status=SiteStatus.CLOSED)
        .select_related("commune", "owner")
        .annotate(space_count=Count("spaces"))
        .order_by("commune__name", "name")
    )


def site_detail(*, user: AnyUser) -> QuerySet[Site]:
    return (
        sites_visible_to(user)
        .select_related("commune", "owner", "managing_organisation")
        .prefetch_related(
            Prefetch("photos", queryset=Photo.objects.filter(space__isnull=True)),
            Prefetch("spaces", queryset=Space.objects.prefetch_related("amenities")),
        )
    )


def space_detail(*, user: AnyUser) -> QuerySet[Space]:
    return (
        with_step_free(spaces_visible_to(user))
        .select_related("site", "site__commune", "site__owner")
        .prefetch_related("amenities", "photos")
    )


def photos_manageable_by(user: AnyUser) -> QuerySet[Photo]:
    return Photo.objects.filter(site__in=sites_manageable_by(user).values("pk"))
