"""Messages of the season, through `accounts.messaging` (an e-mail in each person's language and
an entry in their notifications list), in the transaction of the change they report: they leave
after commit, and only if it commits.

Who hears what:
- a campaign's plan published: each structure with a slot, one message to its members listing
  its slots (space, day, times, first and last dates, how many) and its calendar feed;
- a campaign closed at its deadline (by the job): the people who run it (a plan to make).
"""

from collections import defaultdict
from datetime import date

from django.db.models import F, QuerySet
from django.urls import reverse

from accounts.messaging import Notice, notify_all, notify_users
from accounts.models import User
from accounts.selectors import territory_admins
from seasons.models import Campaign, PlanAssignment


def _managers(campaign: Campaign) -> QuerySet[User]:
    """Who runs `campaign`: its owner's members, else the intercommunality's people."""
    managers = User.objects.filter(
        memberships__organisation=campaign.owner_id, is_active=True
    ).distinct()
    return managers if managers.exists() else territory_admins()


def campaign_published_notify(
    campaign: Campaign,
    assignments: list[PlanAssignment],
    *,
    dates: dict[int, list[date]],
    feeds: dict[int, str],
) -> int:
    """Tell each structure with a published slot its slots (`assignments`, with their wish,
    option and space read; `dates`: each assignment's dates by its id) and the address of its
    calendar feed (`feeds`, by structure id). One message per structure, in one go (one
    query for the members of all). Call it in the transaction of the publication. Returns
    the number of structures told."""
    slots = defaultdict(list)
    structures = {}
    for assignment in assignments:
        wish, option = assignment.wish, assignment.option
        held = dates.get(assignment.pk, [])
        structures[wish.structure_id] = wish.structure
        slots[wish.structure_id].append(
            {
                "space": assignment.space,
                "site": assignment.space.site,
                "weekday": option.get_weekday_display(),
                "start": option.start,
                "end": option.end,
                "purpose": wish.purpose,
                "first": held[0] if held else None,
                "last": held[-1] if held else None,
                "count": len(held),
            }
        )
    members = defaultdict(list)
    for user in User.objects.filter(
        memberships__organisation__in=list(structures), is_active=True, erased_at__isnull=True
    ).annotate(structure_id=F("memberships__organisation")):
        members[user.structure_id].append(user)
    link = reverse("bookings:booking-list")
    notices = [
        Notice(
            members[structure_id],
            "season_published",
            {
                "campaign": campaign,
                "structure": structure,
                "slots": slots[structure_id],
                "feed_url": feeds.get(structure_id, ""),
            },
            f"campaign {campaign.pk}, published, structure {structure_id}",
            link=link,
        )
        for structure_id, structure in structures.items()
        if members[structure_id]
    ]
    notify_all(notices)
    return len(notices)


def campaign_closed_notify(campaign: Campaign) -> None:
    """A campaign closed at its deadline: tell the people who run it that its plan can be made.
    Call it in the transaction of the closing."""
    campaign = Campaign.objects.select_related("owner").get(pk=campaign.pk)
    notify_users(
        _managers(campaign),
        message="season_closed",
        context={
            "campaign": campaign,
            "wishes": campaign.wishes.filter(status="submitted").count(),
        },
        about=f"campaign {campaign.pk}, closed",
    )
