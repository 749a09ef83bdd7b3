"""Calendar subscriptions (ICS feeds behind secret URLs)."""

import secrets
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, User
from bookings import ics
from bookings.models import CalendarFeed
from spaces.models import Site, Space


def calendar_feed_create(
    *, user: User, scope: str, target: Space | Site | Organisation
) -> CalendarFeed:
    """Give the user a new secret feed URL for a space or a site they manage, or one of their
    organisations. Raises PermissionDenied otherwise, ValueError if `target` is not of `scope`.
    """
    expected = {
        CalendarFeed.Scope.SPACE: Space,
        CalendarFeed.Scope.SITE: Site,
        CalendarFeed.Scope.ORGANISATION: Organisation,
    }
    if scope not in expected or not isinstance(target, expected[scope]):
        raise ValueError("The target does not match the scope of the feed")
    if not user.is_active or not ics.feed_target_allowed(
        user=user, scope=scope, target_id=target.pk
    ):
        raise PermissionDenied(_("You may not subscribe to this calendar."))
    # 32 random bytes (256 bits): the URL is the only secret, so it must not be guessable.
    return CalendarFeed.objects.create(
        scope=scope,
        created_by=user,
        token=secrets.token_urlsafe(32),
        **{scope: target},
    )


def calendar_feed_revoke(*, feed: CalendarFeed, user: User) -> bool:
    """Stop a feed at once; idempotent (already revoked → False). Only its creator may.

    Raises PermissionDenied for anyone else.
    """
    if feed.created_by_id != user.pk:
        raise PermissionDenied(_("Only the person who created this subscription may revoke it."))
    # A conditional UPDATE: two clicks at once revoke once and keep the first date.
    revoked = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return revoked == 1


def organisation_feeds_create(*, creators: Mapping[int, Iterable[User]]) -> dict[int, CalendarFeed]:
    """A new organisation feed for each organisation id of `creators`, created by the first of
    its users who is an active member of it (the rule `calendar_feed_create` checks, for all
    at once: one query for the memberships, one INSERT). An organisation none of whose users
    is a member gets none. For a season's publication, which gives each structure's members
    the address of its calendar (issue 17)."""
    users = {user.pk for candidates in creators.values() for user in candidates}
    members = set(
        Membership.objects.filter(
            organisation__in=list(creators), user__in=users, user__is_active=True
        ).values_list("organisation_id", "user_id")
    )
    feeds = []
    for organisation_id, candidates in creators.items():
        creator = next((u for u in candidates if (organisation_id, u.pk) in members), None)
        if creator is not None:
            feeds.append(
                CalendarFeed(
                    scope=CalendarFeed.Scope.ORGANISATION,
                    organisation_id=organisation_id,
                    created_by=creator,
                    # 32 random bytes, as calendar_feed_create's.
                    token=secrets.token_urlsafe(32),
                )
            )
    return {feed.organisation_id: feed for feed in CalendarFeed.objects.bulk_create(feeds)}
