"""Reads of the premises inventory; permission-scoped querysets live here.

Every view, admin page and API endpoint fetches sites and spaces through these functions, so an
outsider gets a 404 and a list can never show another organisation's unpublished premises.
"""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.db.models import BooleanField, Case, Count, Model, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Membership, Organisation, OrganisationKind, User
from accounts.selectors import (
    AnyUser,
    organisations_manageable_by,
    organisations_of,
    territory_people_q,
    token_organisation_id,
    user_is_territory_admin,
)
from core.collation import french
from core.compiled import CompiledQuery
from spaces.models import Commune, Photo, Site, SiteManager, SiteStatus, Space, WidgetOrigin
from spaces.validators import origin_is_normalised


def communes_in_territory(*, on: date | None = None) -> QuerySet[Commune]:
    """Communes that belong to an intercommunality of the platform on the given day."""
    on = on or timezone.localdate()
    return Commune.objects.filter(
        Q(epci_memberships__start__lte=on)
        & (Q(epci_memberships__end__isnull=True) | Q(epci_memberships__end__gt=on))
    ).distinct()


def communes_by_name() -> QuerySet[Commune]:
    """Every commune, sorted the French way: the catalogue's filter."""
    return Commune.objects.order_by(french("name"))


# No value at all: the catalogue's menu of communes, compiled once per process.
_COMMUNE_MENU = CompiledQuery(lambda: communes_by_name().values("pk", "name"))


def communes_menu() -> list[tuple[str, str]]:
    """`communes_by_name()` as (INSEE code, name): a filter's menu."""
    return [(row["pk"], row["name"]) for row in _COMMUNE_MENU.run()]


class SiteRole(StrEnum):
    """Why a person manages a site; the first three in the order a request to decide is routed
    (bookings.selectors.booking_routing)."""

    FACILITIES_MANAGER = "facilities_manager"  # assigned to the site
    OWNER_STAFF = "owner_staff"  # a member of the owner (a commune, the intercommunality…)
    TERRITORY = "territory"  # a member of an intercommunality: every site
    OPERATOR = "operator"  # a superuser, who runs the platform: every site, never routed to


# Who manages which site, for the roles tied to a site: rows holding a site and a person (model,
# path to the site, path to the user). The one definition, read in both directions: the sites of
# a person (`sites_manageable_by`) and the people of a site (`users_managing_site`), so that the
# two cannot disagree; the roles of every site are `user_is_territory_admin`'s two conditions.
_SITE_ROWS: dict[SiteRole, tuple[type[Model], str, str]] = {
    SiteRole.FACILITIES_MANAGER: (SiteManager, "site", "user"),
    SiteRole.OWNER_STAFF: (Membership, "organisation__owned_sites", "user"),
}


def _sites_of(role: SiteRole, user: User) -> QuerySet:
    model, site, person = _SITE_ROWS[role]
    rows = model._default_manager.filter(**{person: user.pk})
    scoped = token_organisation_id(user)
    if role == SiteRole.OWNER_STAFF and scoped is not None:  # an organisation's API token
        rows = rows.filter(organisation_id=scoped)
    return rows.values(site)


def _people_of(role: SiteRole, site: Site) -> QuerySet:
    model, site_path, person = _SITE_ROWS[role]
    return model._default_manager.filter(**{site_path: site.pk}).values(person)


def sites_manageable_by(user: AnyUser) -> QuerySet[Site]:
    """Sites the user may edit: all for the intercommunality, the owner's staff, the managers."""
    if user_is_territory_admin(user):
        return Site.objects.all()
    if not user.is_authenticated:
        return Site.objects.none()
    return sites_managed_by(user)


def sites_managed_by(user: User) -> QuerySet[Site]:
    """`sites_manageable_by` a signed-in user who does not steer the territory: the sites they
    manage as a facilities manager or work for the owner of. Asks the database nothing while
    it builds (a compiled query's build: bookings.selectors.bookings_of_member)."""
    return Site.objects.filter(
        Q(pk__in=_sites_of(SiteRole.FACILITIES_MANAGER, user))
        | Q(pk__in=_sites_of(SiteRole.OWNER_STAFF, user))
    )


def users_managing_site(site: Site, *, role: SiteRole | None = None) -> QuerySet[User]:
    """The people for whom `site` is in `sites_manageable_by` (all accounts, active or not), or
    those who manage it as `role`."""
    conditions = {
        SiteRole.FACILITIES_MANAGER: Q(pk__in=_people_of(SiteRole.FACILITIES_MANAGER, site)),
        SiteRole.OWNER_STAFF: Q(pk__in=_people_of(SiteRole.OWNER_STAFF, site)),
        SiteRole.TERRITORY: territory_people_q(),
        SiteRole.OPERATOR: Q(is_superuser=True),
    }
    if role is not None:
        return User.objects.filter(conditions[role])
    anyone = Q()
    for condition in conditions.values():
        anyone |= condition
    return User.objects.filter(anyone)


def sites_of_owner_staff(user: AnyUser) -> QuerySet[Site]:
    """Sites whose owner the user works for (commune staff for a commune's premises, the
    intercommunality's people for its own). Superusers, the platform's operators, act for all."""
    if not user.is_authenticated:
        return Site.objects.none()
    if user.is_superuser:
        return Site.objects.all()
    return Site.objects.filter(pk__in=_sites_of(SiteRole.OWNER_STAFF, user))


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


def sites_delegable_by(user: AnyUser) -> QuerySet[Site]:
    """Sites whose facilities managers and managing organisation the user may set: those of
    the organisations they administer, and every site for the intercommunality. Facilities
    managers are not in it: a manager does not appoint managers."""
    if user_is_territory_admin(user):
        return Site.objects.all()
    return Site.objects.filter(owner__in=organisations_manageable_by(user).values("pk"))


def site_managers_of(site: Site) -> QuerySet[SiteManager]:
    """The facilities managers of a site with their delegation, by name."""
    return (
        SiteManager.objects.filter(site=site)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email", "pk")
    )


def managing_organisation_choices(site: Site) -> QuerySet[Organisation]:
    """Who may run a building for its owner: a public body, or a verified structure."""
    return (
        Organisation.objects.filter(
            Q(kind__in=[OrganisationKind.EPCI, OrganisationKind.COMMUNE, OrganisationKind.OTHER])
            | Q(verified_at__isnull=False)
        )
        .exclude(pk=site.owner_id)
        .order_by("name", "pk")
    )


def sites_visible_to(user: AnyUser) -> QuerySet[Site]:
    """Published sites for everyone, plus the unpublished ones the user manages."""
    return Site.objects.filter(
        Q(is_published=True) | Q(pk__in=sites_manageable_by(user).values("pk"))
    )


def site_visible_to(user: AnyUser, site: Site) -> bool:
    """`site` is in `sites_visible_to(user)`, for a site already read: a published one needs no
    query (the booking request reads its space and site under a lock, then asks this)."""
    return site.is_published or sites_manageable_by(user).filter(pk=site.pk).exists()


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


def _site_menu(user: AnyUser) -> QuerySet:
    return sites_manageable_by(user).order_by("name", "pk").values("pk", "name")


def _space_menu(user: AnyUser) -> QuerySet:
    return (
        spaces_manageable_by(user)
        .order_by("site__name", "name", "pk")
        .values("pk", "name", "site__name")
    )


# A site's manager's menus compiled once per process (their user's id the one value); the
# intercommunality's people (every site) and API tokens get other SQL, built each time.
_SITE_MENU_OF_MANAGER = CompiledQuery(lambda user: _site_menu(User(pk=user)), user=int)
_SPACE_MENU_OF_MANAGER = CompiledQuery(lambda user: _space_menu(User(pk=user)), user=int)


def _is_plain_manager(user: AnyUser) -> bool:
    return (
        user.is_authenticated
        and not user_is_territory_admin(user)
        and token_organisation_id(user) is None
    )


def sites_manageable_menu(user: AnyUser) -> list[tuple[int, str]]:
    """The sites of `sites_manageable_by(user)` as (pk, name), by name: a filter's menu."""
    rows = _SITE_MENU_OF_MANAGER.run(user=user.pk) if _is_plain_manager(user) else _site_menu(user)
    return [(row["pk"], row["name"]) for row in rows]


def spaces_manageable_menu(user: AnyUser) -> list[tuple[int, str, str]]:
    """The spaces of `spaces_manageable_by(user)` as (pk, name, site's name), by site and
    name: a filter's menu."""
    rows = (
        _SPACE_MENU_OF_MANAGER.run(user=user.pk) if _is_plain_manager(user) else _space_menu(user)
    )
    return [(row["pk"], row["name"], row["site__name"]) for row in rows]


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
    """Spaces for the public catalogue, with what a list shows, in a fixed query count (a page
    of cards adds `spaces.cards.for_cards`)."""
    return (
        with_step_free(spaces_visible_to(user))
        .exclude(site__status=SiteStatus.CLOSED)
        .select_related("site", "site__commune")
        .prefetch_related(
            "amenities",
            Prefetch("photos", queryset=Photo.objects.order_by("position", "pk")),
        )
        .order_by(french("site__commune__name"), "site__name", "floor", "name")
    )


def open_to_kinds_q(kinds: Iterable[str]) -> Q:
    """Spaces whose "organisations that may book" setting holds one of `kinds` (values of
    accounts.models.OrganisationKind): the one spelling of that rule, which the availability
    search and the booking request both apply (bookings.selectors.spaces_bookable_by).

    The setting is a JSON list of short codes, none a part of another once quoted; the test
    reads the list as text ('"ess"' in '["ess", "commune"]'), which SQLite and PostgreSQL
    answer alike (JSON containment has no SQLite spelling in Django).
    """
    condition = Q(pk__in=[])
    for kind in kinds:
        condition |= Q(allowed_organisation_kinds__icontains=f'"{kind}"')
    return condition


def open_to_kind(space: Space, kind: str) -> bool:
    """`open_to_kinds_q([kind])` for a space already read (the booking request reads it under a
    lock): its "organisations that may book" setting holds `kind`."""
    return kind in (space.allowed_organisation_kinds or [])


def catalogue_sites(user: AnyUser) -> QuerySet[Site]:
    """Sites listed in the catalogue and the API: closed buildings are left out, as their spaces."""
    return (
        sites_visible_to(user)
        .exclude(status=SiteStatus.CLOSED)
        .select_related("commune", "owner")
        .annotate(space_count=Count("spaces"))
        .order_by(french("commune__name"), "name")
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
        .prefetch_related("amenities", "photos", "opening_hours")
    )


def photos_manageable_by(user: AnyUser) -> QuerySet[Photo]:
    return Photo.objects.filter(site__in=sites_manageable_by(user).values("pk"))


def widget_spaces_q(organisation: Organisation) -> Q:
    """The spaces an organisation's availability widget lists: those of the sites it owns or runs."""
    return Q(site__owner=organisation) | Q(site__managing_organisation=organisation)


def widget_organisations() -> QuerySet[Organisation]:
    """Organisations that have a widget: those owning or running a site of the catalogue."""
    listed = catalogue_sites(AnonymousUser())
    return Organisation.objects.filter(
        Q(pk__in=listed.values("owner")) | Q(pk__in=listed.values("managing_organisation"))
    )


def widget_organisations_manageable_by(user: AnyUser) -> QuerySet[Organisation]:
    """Organisations with a widget whose websites the user may register: those they administer
    (a commune's administrators for the commune), every one for the intercommunality's people."""
    return widget_organisations().filter(pk__in=organisations_manageable_by(user).values("pk"))


def widget_origins_of(organisation: Organisation) -> list[str]:
    """The websites allowed to frame the organisation's widget, in a fixed order. Each goes into
    a response header: a row written around the service (a shell, a data import) that is not in
    the normalised spelling is left out rather than trusted."""
    origins = (
        WidgetOrigin.objects.filter(organisation=organisation)
        .order_by("origin")
        .values_list("origin", flat=True)
    )
    return [origin for origin in origins if origin_is_normalised(origin)]


def widget_origins_manageable_by(user: AnyUser) -> QuerySet[WidgetOrigin]:
    return WidgetOrigin.objects.filter(
        organisation__in=widget_organisations_manageable_by(user).values("pk")
    )
