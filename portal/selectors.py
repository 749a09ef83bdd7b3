"""What the menu and the dashboard show each role.

Portal is the top app: these reads compose the lower apps' permission querysets (bookings,
calls, payments…), so that nobody sees a row the lower app would not show them. Each function
costs a fixed number of queries, whatever the number of rows (tests/test_query_counts.py).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from accounts.models import Membership, Notification, Organisation, OrganisationKind, User
from accounts.selectors import (
    AnyUser,
    structures_awaiting_verification,
    territory_memberships,
)
from bookings.models import Allocation, AllocationStatus, Occupancy
from bookings.models.allocations import ALLOCATION_OCCUPYING
from bookings.selectors import (
    allocations_answerable_by,
    allocations_visible_to,
    bookings_of_requester,
    bookings_pending_count,
    bookings_pending_for,
)
from calls.models import ApplicationStatus, Call, CallStatus
from calls.selectors import applications_of_applicant, calls_manageable_by
from payments.models import Payment, PaymentStatus
from payments.selectors import payments_payable_by
from spaces.models import Site, Space
from spaces.selectors import sites_manageable_by, sites_of_owner_staff

NEXT_BOOKINGS = 5  # the requester's next dates on the dashboard
ACTION_ROWS = 10  # rows per "awaits your action" list (payments, agreements, applications)
DECISION_ROWS = 10  # requests to decide shown on the dashboard (all of them are on the queue)
WEEK_ROWS = 40  # bookings of the next seven days on a manager's sites
VACANCY_ROWS = 20
CALL_ROWS = 10
STRUCTURE_ROWS = 5
LAPSE_ALERT = timedelta(hours=48)  # a request lapsing sooner is an alert
AGREEMENT_END_ALERT = timedelta(days=60)  # as the agreements' first end reminder


@dataclass(frozen=True)
class Roles:
    """The roles of a signed-in person; several may hold at once."""

    territory: bool = False  # the intercommunality's people (and the platform's operators)
    commune: bool = False  # staff of a commune: the premises the commune owns
    manager: bool = False  # facilities manager of one site or more
    structure: bool = False  # member of an ESS structure
    unread: int = 0  # unread notifications

    @property
    def decides(self) -> bool:
        """Asked to approve or refuse requests on some premises."""
        return self.territory or self.commune or self.manager

    @property
    def requester(self) -> bool:
        """Books and applies: an ESS structure's member, or a newcomer with no other role (the
        dashboard then shows them how to start)."""
        return self.structure or not (self.territory or self.commune or self.manager)


def _roles_queryset(pk: int) -> QuerySet[User]:
    """The roles and unread count of the user `pk`, in one row. Every subquery refers to the
    outer user row (OuterRef), so `pk` is the query's only parameter that depends on the user."""
    mine = Membership.objects.filter(user=OuterRef("pk"))
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(count=Count("pk"))
        .values("count")[:1]
    )
    return (
        User.objects.filter(pk=pk)
        .annotate(
            territory=Exists(territory_memberships().filter(user=OuterRef("pk"))),
            commune=Exists(mine.filter(organisation__kind=OrganisationKind.COMMUNE)),
            structure=Exists(mine.filter(organisation__kind=OrganisationKind.ESS)),
            manager=Exists(Site.managers.through.objects.filter(user=OuterRef("pk"))),
            unread=Coalesce(Subquery(unread), 0),
        )
        .values("territory", "commune", "structure", "manager", "unread")
        .order_by()
    )


# Compiled SQL of `_roles_queryset` per database alias: the menu reads the roles on every
# signed-in page, and compiling this queryset took 3.5 of its 4 ms of CPU (docs/decisions.md,
# issue 18). A placeholder pk marks the one parameter to replace with the user's.
_ROLES_PLACEHOLDER = -918_273_645
_roles_sql: dict[str, tuple[str, list, int]] = {}


def roles_of(user: AnyUser) -> Roles:
    """The person's roles and unread count, in one query (it replaces the menu's count of
    unread notifications: the menu costs no more queries than before)."""
    if not user.is_authenticated:
        return Roles()
    alias = router.db_for_read(User)
    if alias not in _roles_sql:
        sql, params = _roles_queryset(_ROLES_PLACEHOLDER).query.get_compiler(alias).as_sql()
        params = list(params)
        _roles_sql[alias] = (sql, params, params.index(_ROLES_PLACEHOLDER))
    sql, params, index = _roles_sql[alias]
    params = [*params[:index], user.pk, *params[index + 1 :]]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    if row is None:
        return Roles()
    values = dict(zip(names, row, strict=True))
    return Roles(
        territory=bool(values["territory"]) or user.is_superuser,
        commune=bool(values["commune"]),
        manager=bool(values["manager"]),
        structure=bool(values["structure"]),
        unread=int(values["unread"]),
    )


def request_roles(request: HttpRequest) -> Roles:
    """`roles_of` the request's user, read once per request (menu and dashboard share it)."""
    if not hasattr(request, "_portal_roles"):
        request._portal_roles = roles_of(request.user)
    return request._portal_roles


def request_pending_count(request: HttpRequest) -> int:
    """How many requests await the user's decision; 0 without a deciding role (no query)."""
    if not hasattr(request, "_portal_pending"):
        roles = request_roles(request)
        request._portal_pending = bookings_pending_count(request.user) if roles.decides else 0
    return request._portal_pending


# --- The requester: next bookings and what awaits their action -------------------------------


def occupancies_next_of_requester(user: AnyUser, *, now: datetime) -> QuerySet[Occupancy]:
    """The next dates (pending or confirmed) of the bookings of the user's organisations."""
    return (
        Occupancy.objects.filter(
            booking__in=bookings_of_requester(user).values("pk"), active=True, end__gt=now
        )
        .select_related("booking", "booking__organisation", "space", "space__site")
        .order_by("start", "pk")[:NEXT_BOOKINGS]
    )


def payments_due_of(user: AnyUser, *, now: datetime) -> list[Payment]:
    """Payments the user's organisations may pay now, soonest deadline first."""
    awaiting = (
        payments_payable_by(user)
        .filter(status=PaymentStatus.REQUIRES_AUTHORISATION)
        .select_related("booking", "booking__space", "allocation", "allocation__structure")
        .order_by(F("due_by").asc(nulls_last=True), "pk")[: ACTION_ROWS * 2]
    )
    return [payment for payment in awaiting if payment.payable_at(now)][:ACTION_ROWS]


def agreements_to_answer_of(user: AnyUser) -> QuerySet[Allocation]:
    """Agreements offered to the user's structures, awaiting their acceptance."""
    return (
        allocations_answerable_by(user)
        .filter(status=AllocationStatus.OFFERED)
        .select_related("structure", "owner")
        .order_by("start", "pk")[:ACTION_ROWS]
    )


def applications_to_complete_of(user: AnyUser) -> QuerySet:
    """Draft applications of the user's structures to calls still open, nearest deadline first."""
    return (
        applications_of_applicant(user)
        .filter(status=ApplicationStatus.DRAFT, call__status=CallStatus.PUBLISHED)
        .select_related("call", "structure")
        .order_by(F("call__deadline").asc(nulls_last=True), "pk")[:ACTION_ROWS]
    )


# --- Those who decide: requests, the week on their sites, their premises -----------------------


def requests_to_decide_of(user: AnyUser) -> QuerySet:
    """The first requests awaiting the user's decision, soonest first (the queue has them all)."""
    return bookings_pending_for(user)[:DECISION_ROWS]


def occupancies_week_on_sites_of(user: AnyUser, *, start: datetime) -> QuerySet[Occupancy]:
    """Booked dates on the sites the user manages, over the seven days from `start`."""
    return (
        Occupancy.objects.filter(
            space__site__in=sites_manageable_by(user).values("pk"),
            booking__isnull=False,
            active=True,
            start__lt=start + timedelta(days=7),
            end__gt=start,
        )
        .select_related("booking", "booking__organisation", "space", "space__site")
        .order_by("start", "pk")[:WEEK_ROWS]
    )


def sites_looked_after_by(user: AnyUser) -> QuerySet[Site]:
    """The sites the user looks after as commune staff or facilities manager (not every site of
    the territory that the intercommunality may manage)."""
    return (
        Site.objects.filter(Q(pk__in=sites_of_owner_staff(user).values("pk")) | Q(managers=user.pk))
        .distinct()
        .select_related("commune")
        .order_by("commune__name", "name")
    )


def spaces_vacant_of(user: AnyUser, *, today: date) -> QuerySet[Space]:
    """Long-term spaces of the user's commune with no agreement occupying them today."""
    occupied = Allocation.objects.filter(
        spaces=OuterRef("pk"),
        status__in=ALLOCATION_OCCUPYING,
        start__lte=today,
        end__gt=today,
    )
    return (
        Space.objects.filter(site__in=sites_of_owner_staff(user).values("pk"), allocatable=True)
        .exclude(Exists(occupied))
        .select_related("site", "site__commune")
        .order_by("site__name", "name")[:VACANCY_ROWS]
    )


# --- The intercommunality (and the communes' calls) ----------------------------------------------


def calls_in_progress_of(user: AnyUser) -> QuerySet[Call]:
    """Calls the user runs that are open or closed awaiting a decision."""
    return (
        calls_manageable_by(user)
        .filter(status__in=[CallStatus.PUBLISHED, CallStatus.CLOSED])
        .select_related("owner")
        .order_by("status", F("deadline").asc(nulls_last=True), "pk")[:CALL_ROWS]
    )


def structures_to_verify() -> QuerySet[Organisation]:
    return structures_awaiting_verification().order_by("created_at", "pk")[:STRUCTURE_ROWS]


def requests_lapsing_soon_count(user: AnyUser, *, now: datetime) -> int:
    return bookings_pending_for(user).filter(lapses_at__lte=now + LAPSE_ALERT).count()


def agreements_ending_soon_of(user: AnyUser, *, today: date) -> QuerySet[Allocation]:
    """Agreements occupying their spaces that end within the alert period."""
    return (
        allocations_visible_to(user)
        .filter(
            status__in=ALLOCATION_OCCUPYING,
            end__gt=today,
            end__lte=today + AGREEMENT_END_ALERT,
        )
        .select_related("structure")
        .order_by("end", "pk")[:ACTION_ROWS]
    )
