"""Reads of the waits for a slot (issue 16): who sees which, a space's line, a wait's place."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Membership, MembershipRole, User
from accounts.selectors import AnyUser, organisations_of
from bookings.models import ACTIVE_WAITS, SlotWait, SlotWaitSetting
from spaces.selectors import sites_manageable_by


def slot_waits_of_member(user: AnyUser) -> QuerySet[SlotWait]:
    """The waits of the user's organisations: theirs to accept or withdraw."""
    return SlotWait.objects.filter(organisation__in=organisations_of(user))


def slot_waits_visible_to(user: AnyUser) -> QuerySet[SlotWait]:
    """Their organisations' waits for members; the waits on the spaces of their sites for the
    people who manage them (the only ones who see the names of the structures in line)."""
    if not user.is_authenticated:
        return SlotWait.objects.none()
    return SlotWait.objects.filter(
        Q(organisation__in=organisations_of(user))
        | Q(space__site__in=sites_manageable_by(user).values("pk"))
    )


def _ahead_of_it() -> Subquery:
    """How many active waits on the same space, over an overlapping slot, came first."""
    ahead = (
        SlotWait.objects.filter(
            space=OuterRef("space"),
            status__in=ACTIVE_WAITS,
            start__lt=OuterRef("end"),
            end__gt=OuterRef("start"),
        )
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("space")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(ahead), 0)


def slot_waits_listed(waits: QuerySet[SlotWait]) -> QuerySet[SlotWait]:
    """`waits` as the lists show them: with their space, site and structure, and `position`
    (1: first in line; meaningful while active), soonest slot first. One query."""
    return (
        waits.select_related("space", "space__site", "organisation")
        .annotate(position=_ahead_of_it() + 1)
        .order_by("start", "created_at", "pk")
    )


def slot_waits_line(*, space_id: int) -> QuerySet[SlotWait]:
    """A space's line: its active waits, by slot then by arrival."""
    return slot_waits_listed(SlotWait.objects.filter(space_id=space_id, status__in=ACTIVE_WAITS))


def slot_wait_recipients(wait: SlotWait) -> list[User]:
    """Who hears about `wait` for its structure: the member who asked, if they still can; else
    the structure's administrators."""
    requester = wait.requested_by
    if (
        requester.is_active
        and requester.erased_at is None
        and Membership.objects.filter(user=requester, organisation_id=wait.organisation_id).exists()
    ):
        return [requester]
    return list(
        User.objects.filter(
            is_active=True,
            erased_at__isnull=True,
            memberships__organisation_id=wait.organisation_id,
            memberships__role=MembershipRole.ADMIN,
        ).order_by("email")
    )


def slot_wait_setting_of(*, space_id: int) -> SlotWaitSetting | None:
    return SlotWaitSetting.objects.filter(space_id=space_id).first()


def slot_waits_spaces_to_look_at() -> list[int]:
    """The spaces with someone waiting or an offer standing: what the periodic job looks at."""
    return list(
        SlotWait.objects.filter(status__in=ACTIVE_WAITS)
        .order_by("space_id")
        .values_list("space_id", flat=True)
        .distinct()
    )


__all__ = [
    "slot_wait_recipients",
    "slot_wait_setting_of",
    "slot_waits_line",
    "slot_waits_listed",
    "slot_waits_of_member",
    "slot_waits_spaces_to_look_at",
    "slot_waits_visible_to",
]
