"""Reads of the season: permission querysets, the competition a wish meets, the solver's inputs
and a slot's dates."""

import hashlib
import json
from dataclasses import asdict
from datetime import date, datetime, time

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Closure
from bookings.selectors.local_time import local_zone
from seasons import dates, solver
from seasons.models import (
    Campaign,
    CampaignSpace,
    CampaignStatus,
    PlanAssignment,
    PlanRun,
    SeasonPeriod,
    Wish,
    WishOption,
    WishStatus,
)
from seasons.rules import FrozenRules, minutes_of, option_bonuses

_TERMS = {
    SeasonPeriod.YEAR: frozenset(solver.TERMS),
    SeasonPeriod.TERM_1: frozenset({1}),
    SeasonPeriod.TERM_2: frozenset({2}),
    SeasonPeriod.TERM_3: frozenset({3}),
}


def campaigns_manageable_by(user: AnyUser) -> QuerySet[Campaign]:
    """Campaigns the user runs: the intercommunality all of them, others their organisation's."""
    if user_is_territory_admin(user):
        return Campaign.objects.all()
    if not user.is_authenticated:
        return Campaign.objects.none()
    return Campaign.objects.filter(owner__in=organisations_of(user))


def campaigns_visible_to(user: AnyUser) -> QuerySet[Campaign]:
    """Opened (and later) campaigns for everyone; drafts for those who run them."""
    return Campaign.objects.filter(
        ~Q(status=CampaignStatus.DRAFT) | Q(pk__in=campaigns_manageable_by(user).values("pk"))
    )


def wishes_of_applicant(user: AnyUser) -> QuerySet[Wish]:
    """The wishes of the user's structures: theirs to withdraw."""
    return Wish.objects.filter(structure__in=organisations_of(user))


def wishes_visible_to(user: AnyUser) -> QuerySet[Wish]:
    """A structure's members see its wishes; the campaign's managers see every wish."""
    return Wish.objects.filter(
        Q(structure__in=organisations_of(user))
        | Q(campaign__in=campaigns_manageable_by(user).values("pk"))
    )


def campaign_accepts_wishes(campaign: Campaign, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return campaign.status == CampaignStatus.OPEN and now < campaign.deadline


def _same_place(space, space_kind: str) -> Q:
    """Options competing for the same place as an option on `space` (or any space of `space_kind`)."""
    if space is not None:
        return Q(space=space.pk) | Q(space__isnull=True, space_kind=space.kind)
    return Q(space_kind=space_kind) | Q(space__kind=space_kind)


def slot_competition(
    campaign: Campaign,
    *,
    weekday: int,
    start: time,
    end: time,
    space=None,
    space_kind: str = "",
    exclude_wish: int | None = None,
) -> int:
    """How many submitted wishes of `campaign` ask for the same space — or the same kind of
    space — on `weekday` at a time overlapping `start`–`end` (the wish form's live count, before
    the wish exists). A count only: never who."""
    return (
        WishOption.objects.filter(
            _same_place(space, space_kind),
            wish__campaign=campaign.pk,
            wish__status=WishStatus.SUBMITTED,
            weekday=weekday,
            start__lt=end,
            end__gt=start,
        )
        .exclude(wish=exclude_wish)
        .values("wish")
        .distinct()
        .count()
    )


def wish_competition(wish: Wish) -> dict[int, int]:
    """For each option of `wish` (by position), how many other submitted wishes of the campaign
    ask for the same space — or the same kind of space — on the same weekday at an overlapping
    time. Counts only: a structure never learns who the others are."""
    return {
        option.position: slot_competition(
            Campaign(pk=wish.campaign_id),
            weekday=option.weekday,
            start=option.start,
            end=option.end,
            space=option.space,
            space_kind=option.space_kind,
            exclude_wish=wish.pk,
        )
        for option in wish.options.select_related("space")
    }


def wishes_competition(wishes: QuerySet[Wish]) -> dict[int, dict[int, int]]:
    """`wish_competition` for many wishes in one query (a structure's list of wishes): by wish,
    by option position, the number of other submitted wishes competing for it."""
    other = WishOption.objects.filter(
        Q(space=OuterRef("space"))
        | Q(space__isnull=True, space_kind=OuterRef("space__kind"))
        | (~Q(space_kind="") & Q(space_kind=OuterRef("space_kind")))
        | Q(space__kind=OuterRef("space_kind")),
        wish__campaign=OuterRef("wish__campaign"),
        wish__status=WishStatus.SUBMITTED,
        weekday=OuterRef("weekday"),
        start__lt=OuterRef("end"),
        end__gt=OuterRef("start"),
    ).exclude(wish=OuterRef("wish"))
    count = (
        other.order_by()
        .annotate(
            n=Func(
                F("wish"),
                function="COUNT",
                template="COUNT(DISTINCT %(expressions)s)",
                output_field=IntegerField(),
            )
        )
        .values("n")
    )
    counts: dict[int, dict[int, int]] = {}
    for wish_id, position, n in (
        WishOption.objects.filter(wish__in=wishes.values("pk"))
        .annotate(n=Coalesce(Subquery(count), 0))
        .values_list("wish", "position", "n")
    ):
        counts.setdefault(wish_id, {})[position] = n
    return counts


def latest_run(campaign: Campaign) -> PlanRun | None:
    return campaign.plan_runs.order_by("-created_at", "-pk").first()


def _held_slots(campaign: Campaign) -> dict[int, list[tuple[int, int, int, int]]]:
    """Last year's slots by structure: (space, weekday, start, end) of the previous campaign's
    last plan (the slots it gave)."""
    held: dict[int, list[tuple[int, int, int, int]]] = {}
    run = latest_run(campaign.previous) if campaign.previous_id else None
    if run is None:
        return held
    for assignment in PlanAssignment.objects.filter(run=run, space__isnull=False).select_related(
        "option", "wish"
    ):
        option = assignment.option
        held.setdefault(assignment.wish.structure_id, []).append(
            (assignment.space_id, option.weekday, minutes_of(option.start), minutes_of(option.end))
        )
    return held


def plan_problem(campaign: Campaign, *, seed: int = 0, time_limit: float = 60.0) -> solver.Problem:
    """The solver's inputs for `campaign`: its spaces, its submitted wishes and frozen rules."""
    rules = FrozenRules.from_snapshot(campaign.published_rules)
    links = CampaignSpace.objects.filter(campaign=campaign).select_related("space")
    spaces = []
    for link in links.prefetch_related("space__amenities", "space__opening_hours").order_by(
        "space_id"
    ):
        space = link.space
        spaces.append(
            solver.Space(
                id=space.pk,
                name=space.name,
                kind=space.kind,
                capacity=space.capacity,
                site_id=space.site_id,
                amenities=frozenset(a.code for a in space.amenities.all()),
                hours=tuple(
                    (h.weekday, minutes_of(h.opens), minutes_of(h.closes))
                    for h in sorted(space.opening_hours.all(), key=lambda h: (h.weekday, h.opens))
                ),
            )
        )
    held = _held_slots(campaign) if rules.holders_keep else {}
    wishes = []
    for wish in (
        Wish.objects.filter(campaign=campaign, status=WishStatus.SUBMITTED)
        .select_related("structure")
        .prefetch_related("options", "amenities")
        .order_by("pk")
    ):
        options = []
        for option in sorted(wish.options.all(), key=lambda o: o.position):
            start, end = minutes_of(option.start), minutes_of(option.end)
            holder = any(
                (option.space_id in (None, space_id))
                and day == option.weekday
                and held_start < end
                and start < held_end
                for space_id, day, held_start, held_end in held.get(wish.structure_id, [])
            )
            options.append(
                solver.Option(
                    position=option.position,
                    weekday=option.weekday,
                    start=start,
                    end=end,
                    space_id=option.space_id,
                    space_kind=option.space_kind,
                    bonuses=option_bonuses(
                        rules,
                        structure_id=wish.structure_id,
                        family=wish.structure.ess_family,
                        activity=wish.activity,
                        holder=holder,
                    ),
                )
            )
        wishes.append(
            solver.Wish(
                id=wish.pk,
                structure_id=wish.structure_id,
                structure_name=wish.structure.name,
                rank=wish.rank,
                attendees=wish.attendees,
                options=tuple(options),
                amenities=frozenset(a.code for a in wish.amenities.all()),
                terms=_TERMS[wish.period],
            )
        )
    return solver.Problem(
        spaces=tuple(spaces),
        wishes=tuple(wishes),
        cap_minutes=rules.cap_minutes,
        seed=seed,
        time_limit=time_limit,
    )


def problem_hash(problem: solver.Problem) -> str:
    """A fingerprint of the solver's inputs (the time limit apart): same hash, same plan."""
    inputs = asdict(problem)
    inputs.pop("time_limit")
    text = json.dumps(inputs, sort_keys=True, default=sorted)
    return hashlib.sha256(text.encode()).hexdigest()


def slot_dates_of(
    *, campaign_space: CampaignSpace, weekday: int, start: time, end: time, period: str
) -> list[date]:
    """The dates a weekly slot of a campaign's space runs on: the period's weekdays without
    public holidays, zone B school holidays if the space closes then, and closed days."""
    first, last = dates.period_bounds(campaign_space.campaign.school_year, period)
    zone = local_zone()
    days = dates.slot_dates(
        weekday=weekday,
        start=first,
        end=last,
        closed_in_school_holidays=campaign_space.closed_in_school_holidays,
    )
    space = campaign_space.space
    closures = Closure.objects.filter(
        Q(space=space) | Q(site=space.site_id),
        start__lt=datetime.combine(last, time(0), zone),
        end__gt=datetime.combine(first, time(0), zone),
    ).values_list("start", "end")
    closed = dates.days_closed(
        days=days, slot_start=start, slot_end=end, closures=list(closures), zone=zone
    )
    return [day for day in days if day not in closed]
