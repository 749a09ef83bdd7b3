"""Reads of the season: permission querysets, the competition a wish meets, the solver's inputs
and a slot's dates."""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, pgettext

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


def campaign_slot_dates(
    campaign: Campaign, slots: list[tuple[int, int, time, time, str]]
) -> list[list[date]]:
    """`slot_dates_of` for many slots of `campaign` at once: for each (space id, weekday,
    start, end, period), the dates it runs on. Two queries whatever the number of slots (the
    campaign's spaces, the closures of their spaces and sites over the school year)."""
    links = {
        link.space_id: link
        for link in CampaignSpace.objects.filter(campaign=campaign).select_related("space")
    }
    first, last = dates.school_year_bounds(campaign.school_year)
    zone = local_zone()
    spaces = [links[space_id].space for space_id, *_rest in slots if space_id in links]
    closures: dict[tuple[str, int], list[tuple[datetime, datetime]]] = {}
    for space_id, site_id, start, end in Closure.objects.filter(
        Q(space__in={s.pk for s in spaces}) | Q(site__in={s.site_id for s in spaces}),
        start__lt=datetime.combine(last, time(0), zone),
        end__gt=datetime.combine(first, time(0), zone),
    ).values_list("space_id", "site_id", "start", "end"):
        key = ("space", space_id) if space_id is not None else ("site", site_id)
        closures.setdefault(key, []).append((start, end))
    days_of: dict[tuple[int, str, bool], list[date]] = {}
    found = []
    for space_id, weekday, start, end, period in slots:
        link = links.get(space_id)
        if link is None:
            found.append([])
            continue
        key = (weekday, period, link.closed_in_school_holidays)
        if key not in days_of:
            period_first, period_last = dates.period_bounds(campaign.school_year, period)
            days_of[key] = dates.slot_dates(
                weekday=weekday,
                start=period_first,
                end=period_last,
                closed_in_school_holidays=link.closed_in_school_holidays,
            )
        days = days_of[key]
        space = link.space
        shut = closures.get(("space", space.pk), []) + closures.get(("site", space.site_id), [])
        closed = (
            dates.days_closed(days=days, slot_start=start, slot_end=end, closures=shut, zone=zone)
            if shut
            else set()
        )
        found.append([day for day in days if day not in closed])
    return found


# --- The arbitration board ---


@dataclass(frozen=True)
class BoardSlot:
    """A wish placed on the board: its times, whose it is, which of its choices it got."""

    assignment_id: int
    wish_id: int
    structure_id: int
    structure_name: str
    purpose: str
    weekday: int
    start: time
    end: time
    period: str
    option_position: int
    moved: bool  # placed by hand (arbitration), not by the optimiser
    competing: int  # other wishes asking for that space (or kind) then


@dataclass(frozen=True)
class BoardRow:
    """A space of the campaign, its placed wishes per weekday (Monday = 0), by start."""

    space_id: int
    space_name: str
    site_name: str
    capacity: int
    days: dict[int, list[BoardSlot]]

    @property
    def count(self) -> int:
        return sum(len(slots) for slots in self.days.values())


@dataclass(frozen=True)
class UnmetWish:
    """A wish the plan leaves out, with the plan's explanation."""

    assignment_id: int
    wish_id: int
    structure_id: int
    structure_name: str
    rank: int
    purpose: str
    explanation: str
    moved: bool
    competing: int  # for its first choice


@dataclass(frozen=True)
class Board:
    """The proposed plan as the arbitration board shows it: spaces (rows) × weekdays, the
    unmet wishes. Empty rows and no run before a plan exists."""

    campaign_id: int
    run_id: int | None
    rows: list[BoardRow]
    unmet: list[UnmetWish]
    weekdays: list[int]  # the days some wish asks for, Monday = 0

    @property
    def met_count(self) -> int:
        return sum(row.count for row in self.rows)


def _competing(
    option: WishOption, space_kind: str, space_id: int | None, wanted: list[tuple[int, WishOption]]
) -> int:
    """How many other wishes ask for `space_id` (or a space of its kind) at a time overlapping
    `option`'s (the count `wish_competition` gives, from options already read)."""
    wishes = set()
    for wish_id, other in wanted:
        if wish_id == option.wish_id or other.weekday != option.weekday:
            continue
        if not (other.start < option.end and option.start < other.end):
            continue
        if space_id is not None:
            same = other.space_id == space_id or (
                other.space_id is None and other.space_kind == space_kind
            )
        else:
            same = other.space_kind == space_kind or other.space_kind_of == space_kind
        if same:
            wishes.add(wish_id)
    return len(wishes)


def board(campaign: Campaign) -> Board:
    """The latest plan of `campaign` laid out for the arbitration board. Five queries whatever
    the number of wishes and spaces: the latest run, the campaign's spaces, the run's
    assignments (with their wish, structure and option), the submitted wishes' options."""
    run = latest_run(campaign)
    links = list(
        CampaignSpace.objects.filter(campaign=campaign)
        .select_related("space__site")
        .order_by("space__name", "space_id")
    )
    if run is None:
        rows = [
            BoardRow(
                space_id=link.space_id,
                space_name=link.space.name,
                site_name=link.space.site.name,
                capacity=link.space.capacity,
                days={},
            )
            for link in links
        ]
        return Board(campaign.pk, None, rows, [], [])
    assignments = list(
        PlanAssignment.objects.filter(run=run)
        .select_related("wish__structure", "option", "space")
        .order_by("wish__structure__name", "wish__rank", "pk")
    )
    by_weekday: dict[int, list[tuple[int, WishOption]]] = {}
    firsts: dict[int, WishOption] = {}
    for option in (
        WishOption.objects.filter(wish__campaign=campaign, wish__status=WishStatus.SUBMITTED)
        .annotate(space_kind_of=F("space__kind"))
        .order_by("wish_id", "position")
    ):
        by_weekday.setdefault(option.weekday, []).append((option.wish_id, option))
        if option.position == 1:
            firsts[option.wish_id] = option
    kinds = {link.space_id: link.space.kind for link in links}
    days: dict[int, dict[int, list[BoardSlot]]] = {link.space_id: {} for link in links}
    unmet = []
    for assignment in assignments:
        wish = assignment.wish
        option = assignment.option
        if option is None or assignment.space_id is None:
            first = firsts.get(wish.pk)
            competing = (
                _competing(
                    first,
                    first.space_kind or first.space_kind_of or "",
                    first.space_id,
                    by_weekday.get(first.weekday, []),
                )
                if first is not None
                else 0
            )
            unmet.append(
                UnmetWish(
                    assignment_id=assignment.pk,
                    wish_id=wish.pk,
                    structure_id=wish.structure_id,
                    structure_name=wish.structure.name,
                    rank=wish.rank,
                    purpose=wish.purpose,
                    explanation=assignment.explanation,
                    moved=assignment.moved_at is not None,
                    competing=competing,
                )
            )
            continue
        slot = BoardSlot(
            assignment_id=assignment.pk,
            wish_id=wish.pk,
            structure_id=wish.structure_id,
            structure_name=wish.structure.name,
            purpose=wish.purpose,
            weekday=option.weekday,
            start=option.start,
            end=option.end,
            period=wish.period,
            option_position=option.position,
            moved=assignment.moved_at is not None,
            competing=_competing(
                option,
                kinds.get(assignment.space_id, ""),
                assignment.space_id,
                by_weekday.get(option.weekday, []),
            ),
        )
        days.setdefault(assignment.space_id, {}).setdefault(option.weekday, []).append(slot)
    rows = [
        BoardRow(
            space_id=link.space_id,
            space_name=link.space.name,
            site_name=link.space.site.name,
            capacity=link.space.capacity,
            days={
                day: sorted(slots, key=lambda s: (s.start, s.end, s.structure_name))
                for day, slots in sorted(days.get(link.space_id, {}).items())
            },
        )
        for link in links
    ]
    return Board(
        campaign_id=campaign.pk,
        run_id=run.pk,
        rows=rows,
        unmet=unmet,
        weekdays=sorted(by_weekday),
    )


def assignments_of_structure(user: AnyUser, campaign: Campaign) -> QuerySet[PlanAssignment]:
    """The answers of the campaign's latest plan to the wishes of the user's structures, met or
    not, with their wish, option, space and booking (its series once published). Only once
    the plan is published: before that, the plan is the commune's to arbitrate."""
    if campaign.status != CampaignStatus.PUBLISHED:
        return PlanAssignment.objects.none()
    run = latest_run(campaign)
    if run is None:
        return PlanAssignment.objects.none()
    return (
        PlanAssignment.objects.filter(run=run, wish__structure__in=organisations_of(user))
        .select_related("wish__structure", "option", "space__site", "booking")
        .order_by("wish__structure__name", "wish__rank", "pk")
    )


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
    none = pgettext("season rules: no structure, family or activity", "none")
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


@dataclass(frozen=True)
class BoardSlotView:
    """A placed wish as a cell of the board reads: « 18 h–20 h Club de judo (choix 1) »."""

    slot: "BoardSlot"
    times: str
    period: str  # empty for the whole year, else the term


@dataclass(frozen=True)
class BoardDayView:
    weekday: int
    label: str
    slots: list[BoardSlotView]


@dataclass(frozen=True)
class BoardSpaceView:
    row: "BoardRow"
    closed_in_school_holidays: bool
    days: list[BoardDayView]


@dataclass(frozen=True)
class ManagerBoard:
    """`board(campaign)` laid out for the page: per space the weekdays some wish asks for or
    some slot sits on, each with its slots as text."""

    board: "Board"
    spaces: list[BoardSpaceView]


def manager_board(campaign: Campaign) -> ManagerBoard:
    """The arbitration board's page: `board` plus each space's school-holiday setting (one
    more query): a constant number of queries whatever the number of wishes."""
    plan = board(campaign)
    closed = dict(
        CampaignSpace.objects.filter(campaign=campaign).values_list(
            "space_id", "closed_in_school_holidays"
        )
    )
    periods = dict(SeasonPeriod.choices)
    spaces = []
    for row in plan.rows:
        shown = sorted(set(plan.weekdays) | set(row.days))
        spaces.append(
            BoardSpaceView(
                row=row,
                closed_in_school_holidays=closed.get(row.space_id, True),
                days=[
                    BoardDayView(
                        weekday=day,
                        label=Weekday(day).label,
                        slots=[
                            BoardSlotView(
                                slot=slot,
                                times=time_range_text(slot.start, slot.end),
                                period=""
                                if slot.period == SeasonPeriod.YEAR
                                else str(periods.get(slot.period, "")),
                            )
                            for slot in row.days.get(day, [])
                        ],
                    )
                    for day in shown
                ],
            )
        )
    return ManagerBoard(board=plan, spaces=spaces)


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
