"""Reads of the season: permission querysets, the competition a wish meets, the solver's inputs
and a slot's dates."""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import EssFamily, Organisation
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Closure
from bookings.selectors.local_time import local_zone
from core.formats import time_range_text, weekday_name
from seasons import dates, solver
from seasons.models import (
    ActivityKind,
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
from spaces.models import Weekday

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


def wish_competition(wish: Wish) -> dict[int, int]:
    """For each option of `wish` (by position), how many other submitted wishes of the campaign
    ask for the same space — or the same kind of space — on the same weekday at an overlapping
    time. Counts only: a structure never learns who the others are."""
    counts = {}
    for option in wish.options.all():
        same_place = (
            Q(space=option.space_id) | Q(space__isnull=True, space_kind=option.space.kind)
            if option.space_id
            else Q(space_kind=option.space_kind) | Q(space__kind=option.space_kind)
        )
        counts[option.position] = (
            WishOption.objects.filter(
                same_place,
                wish__campaign=wish.campaign_id,
                wish__status=WishStatus.SUBMITTED,
                weekday=option.weekday,
                start__lt=option.end,
                end__gt=option.start,
            )
            .exclude(wish=wish.pk)
            .values("wish")
            .distinct()
            .count()
        )
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


# --- The manager pages (issue 17): listings, the plan and the arbitration board ---


def campaigns_managed_listing(user: AnyUser) -> QuerySet[Campaign]:
    """The campaigns the user runs, with their owner and submitted wishes counted."""
    return (
        campaigns_manageable_by(user)
        .select_related("owner")
        .annotate(
            wishes_count=Count("wishes", filter=Q(wishes__status=WishStatus.SUBMITTED)),
        )
        .order_by("-school_year", "-created_at", "-pk")
    )


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    """The submitted wishes of a campaign and the structures they come from."""
    return Wish.objects.filter(campaign=campaign, status=WishStatus.SUBMITTED).aggregate(
        wishes=Count("pk"), structures=Count("structure", distinct=True)
    )


@dataclass(frozen=True)
class RuleLine:
    label: str
    value: str


def rules_lines(campaign: Campaign) -> list[RuleLine]:
    """The campaign's rules in the user's language: the published snapshot once opened, the
    draft's fields before."""
    if campaign.status == CampaignStatus.DRAFT:
        rules = FrozenRules(
            hours_per_week=campaign.hours_per_week,
            local_first=campaign.local_first,
            local_structures=frozenset(campaign.local_structures.values_list("pk", flat=True)),
            favoured_families=campaign.favoured_families,
            favoured_activities=campaign.favoured_activities,
            holders_keep=campaign.holders_keep,
        )
    else:
        rules = FrozenRules.from_snapshot(campaign.published_rules)
    none = gettext("none")
    families = dict(EssFamily.choices)
    activities = dict(ActivityKind.choices)
    local = (
        Organisation.objects.filter(pk__in=rules.local_structures)
        .order_by("name")
        .values_list("name", flat=True)
        if rules.local_first
        else []
    )

    def weights(values: dict, labels: dict) -> str:
        items = [f"{labels.get(code, code)} ({weight}/10)" for code, weight in values.items()]
        return ", ".join(items) or none

    return [
        RuleLine(
            gettext("Hours per week per structure at most"),
            str(rules.hours_per_week) if rules.hours_per_week else gettext("no cap"),
        ),
        RuleLine(
            gettext("The commune's structures first"),
            (", ".join(local) or none) if rules.local_first else gettext("no"),
        ),
        RuleLine(gettext("Favoured ESS families"), weights(rules.favoured_families, families)),
        RuleLine(gettext("Favoured activities"), weights(rules.favoured_activities, activities)),
        RuleLine(
            gettext("Last year's holders keep their slots"),
            gettext("yes") if rules.holders_keep else gettext("no"),
        ),
    ]


def plan_assignments(
    run: PlanRun, *, structure: int | None = None, space: int | None = None
) -> QuerySet[PlanAssignment]:
    """The answers of a run, by structure then the structure's ranking; `structure` keeps one
    structure's wishes, `space` those placed in a space or asking for it."""
    rows = PlanAssignment.objects.filter(run=run).select_related(
        "wish__structure", "option__space", "space"
    )
    if structure is not None:
        rows = rows.filter(wish__structure=structure)
    if space is not None:
        rows = rows.filter(
            Q(space=space) | Q(wish__in=WishOption.objects.filter(space=space).values("wish"))
        )
    return rows.order_by("wish__structure__name", "wish__rank", "wish__pk")


def plan_structures(run: PlanRun) -> QuerySet:
    """The structures of a run's wishes, for the plan's filter."""
    return Organisation.objects.filter(
        pk__in=PlanAssignment.objects.filter(run=run).values("wish__structure")
    ).order_by("name", "pk")


@dataclass
class BoardSlot:
    assignment: PlanAssignment
    start: time
    end: time
    times: str
    structure: str
    position: int
    period: str
    by_hand: bool


@dataclass
class BoardDay:
    weekday: int
    label: str
    slots: list[BoardSlot]
    asking: int


@dataclass
class BoardSpace:
    link: CampaignSpace
    days: list[BoardDay]


@dataclass
class ManagerBoard:
    run: PlanRun | None
    spaces: list[BoardSpace]
    placed: list[PlanAssignment]
    unmet: list[PlanAssignment]


def assignment_by_hand(assignment: PlanAssignment) -> bool:
    """True if a manager moved the wish on the board after the optimiser placed it."""
    return bool(getattr(assignment, "moved_at", None) or getattr(assignment, "moved_by_id", None))


def manager_board(campaign: Campaign) -> ManagerBoard:
    """The latest run of `campaign` laid out per space and weekday, with how many submitted
    wishes ask for each space on each day (the competition), and the unmet wishes. A constant
    number of queries, whatever the number of wishes."""
    run = latest_run(campaign)
    links = list(
        CampaignSpace.objects.filter(campaign=campaign)
        .select_related("space__site")
        .order_by("space__name", "pk")
    )
    assignments = (
        list(
            PlanAssignment.objects.filter(run=run)
            .select_related("wish__structure", "option__space", "space")
            .order_by("wish__structure__name", "wish__rank", "wish__pk")
        )
        if run
        else []
    )
    asking: dict[tuple[int, int], set[int]] = {}
    kind_of = {link.space_id: link.space.kind for link in links}
    options = WishOption.objects.filter(
        wish__campaign=campaign, wish__status=WishStatus.SUBMITTED
    ).values_list("wish", "weekday", "space", "space_kind")
    for wish_id, weekday, space_id, kind in options:
        for link_space, link_kind in kind_of.items():
            if space_id == link_space or (space_id is None and kind == link_kind):
                asking.setdefault((link_space, weekday), set()).add(wish_id)
    placed = [a for a in assignments if a.space_id is not None]
    slots: dict[tuple[int, int], list[BoardSlot]] = {}
    for a in placed:
        slots.setdefault((a.space_id, a.option.weekday), []).append(
            BoardSlot(
                assignment=a,
                start=a.option.start,
                end=a.option.end,
                times=time_range_text(a.option.start, a.option.end),
                structure=a.wish.structure.name,
                position=a.option.position,
                period="" if a.wish.period == SeasonPeriod.YEAR else a.wish.get_period_display(),
                by_hand=assignment_by_hand(a),
            )
        )
    spaces = [
        BoardSpace(
            link=link,
            days=[
                BoardDay(
                    weekday=day,
                    label=label,
                    slots=sorted(
                        slots.get((link.space_id, day), []), key=lambda s: (s.start, s.end)
                    ),
                    asking=len(asking.get((link.space_id, day), ())),
                )
                for day, label in Weekday.choices
            ],
        )
        for link in links
    ]
    unmet = [a for a in assignments if a.space_id is None]
    return ManagerBoard(run=run, spaces=spaces, placed=placed, unmet=unmet)


def option_text(option: WishOption) -> str:
    """« Choix 2 : mardi 18 h–20 h, Salle B » (or the kind of space asked for)."""
    place = option.space.name if option.space_id else option.get_space_kind_display()
    return gettext("Choice %(position)s: %(day)s %(times)s, %(place)s") % {
        "position": option.position,
        "day": weekday_name(option.weekday),
        "times": time_range_text(option.start, option.end),
        "place": place,
    }


def move_targets(assignment: PlanAssignment) -> list[tuple[str, str]]:
    """Where the board may put a wish: each of its options in each campaign space that is the
    option's space or of its kind and seats its attendees, as ("option-space", label). The move
    service checks the rest (equipment, opening hours, overlaps, the weekly cap)."""
    wish = assignment.wish
    links = list(
        CampaignSpace.objects.filter(campaign=wish.campaign_id, space__capacity__gte=wish.attendees)
        .select_related("space")
        .order_by("space__name", "pk")
    )
    targets = []
    for option in wish.options.select_related("space").order_by("position"):
        for link in links:
            space = link.space
            if option.space_id == space.pk or (
                option.space_id is None and option.space_kind == space.kind
            ):
                label = gettext("Choice %(position)s: %(day)s %(times)s, %(place)s") % {
                    "position": option.position,
                    "day": weekday_name(option.weekday),
                    "times": time_range_text(option.start, option.end),
                    "place": space.name,
                }
                targets.append((f"{option.pk}-{space.pk}", label))
    return targets
