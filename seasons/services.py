"""Writes of the season: campaigns (create, open with its rules frozen, close), wishes (submit,
withdraw, renew last year's slots) and the plan (run the optimiser, store it, explained).

Every service checks its actor: a campaign's changes and its plan are for those who run it
(`campaigns_manageable_by`), a wish for the members of its verified structure. Outsiders get
PermissionDenied (404); those who see the campaign but may not act get DecisionNotAllowed (403).
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, is_platform, logged_actor
from accounts.exceptions import DecisionNotAllowed
from accounts.models import EssFamily, Organisation, User
from accounts.selectors import structures_allowed_to_request_for
from bookings.exceptions import BookingConflict, SeriesClashes
from bookings.ics import feed_url
from bookings.models import OCCUPYING, Booking, CalendarFeed, Frequency
from bookings.rules import local_period
from bookings.selectors.local_time import local_zone
from bookings.services import booking_cancel
from bookings.services.feeds import organisation_feeds_create
from bookings.services.placements import (
    PlacementClash,
    SeriesPlacement,
    bookings_place_series,
    placement_clashes,
)
from core.formats import day_text, duration_text, time_text, weekday_name
from core.workflow import status_change
from seasons import dates, explanations, notifications, solver
from seasons.exceptions import CampaignInvalidTransition, Clash, PlanClashes
from seasons.models import (
    CAMPAIGN_TRANSITIONS,
    MAX_ALTERNATIVES,
    MAX_RULE_WEIGHT,
    MAX_WISHES_PER_STRUCTURE,
    ActivityKind,
    Campaign,
    CampaignLog,
    CampaignSpace,
    CampaignStatus,
    PlanAssignment,
    PlanRun,
    SeasonPeriod,
    Wish,
    WishOption,
    WishStatus,
)
from seasons.rules import FrozenRules, fits_opening_hours, minutes_of, slot_errors
from seasons.selectors import (
    campaign_accepts_wishes,
    campaign_slot_dates,
    campaigns_manageable_by,
    campaigns_visible_to,
    latest_run,
    plan_problem,
    problem_hash,
    slot_dates_of,
    wishes_of_applicant,
    wishes_visible_to,
)
from spaces.models import Amenity, Space, SpaceKind
from spaces.selectors import site_owners_for, spaces_manageable_by

PLAN_TIME_LIMIT_SECONDS = 60.0


def _refuse(seen: bool) -> NoReturn:
    if seen:
        raise DecisionNotAllowed(_("You are not allowed to do this."))
    raise PermissionDenied


def campaign_check_manager(*, actor: Actor, campaign: Campaign) -> None:
    """Refuse unless `actor` runs `campaign` (a person: the platform never does)."""
    if is_platform(actor):
        raise PermissionDenied
    if campaigns_manageable_by(actor).filter(pk=campaign.pk).exists():
        return
    _refuse(campaigns_visible_to(actor).filter(pk=campaign.pk).exists())


def _check_weights(weights: dict, choices: type, field: str) -> dict[str, int]:
    if not isinstance(weights, dict) or any(
        key not in choices.values
        or not isinstance(value, int)
        or isinstance(value, bool)
        or not 0 <= value <= MAX_RULE_WEIGHT
        for key, value in weights.items()
    ):
        raise ValidationError(
            {
                field: _("Give each favoured item a weight from 0 to %(max)s.")
                % {"max": MAX_RULE_WEIGHT}
            }
        )
    return {key: value for key, value in sorted(weights.items()) if value}


@dataclass(frozen=True)
class CampaignTerms:
    """A campaign's terms, spaces and rules, as a draft is written with them (`campaign_create`,
    `campaign_update`). Its spaces close during the school holidays (`closed_in_school_holidays`)
    but those in `open_in_school_holidays`."""

    title: str
    school_year: int
    opens_on: date
    deadline: datetime
    spaces: list[Space]
    closed_in_school_holidays: bool = True
    open_in_school_holidays: list[Space] = field(default_factory=list)
    hours_per_week: int | None = None
    local_first: bool = False
    local_structures: list[Organisation] = field(default_factory=list)
    favoured_families: dict[str, int] | None = None
    favoured_activities: dict[str, int] | None = None
    holders_keep: bool = False
    previous: Campaign | None = None


def _campaign_errors(terms: CampaignTerms) -> dict[str, str]:
    errors = {}
    if not terms.title.strip():
        errors["title"] = _("Give the campaign a title.")
    if not terms.spaces:
        errors["spaces"] = _("Choose at least one space.")
    if not 2000 <= terms.school_year <= 2100:
        errors["school_year"] = _("Give the first year of the school year, e.g. 2027.")
    if terms.deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    elif terms.deadline.date() < terms.opens_on:
        errors["deadline"] = _("The deadline must come after the opening date.")
    hours_per_week = terms.hours_per_week
    if hours_per_week is not None and not 1 <= hours_per_week <= 168:
        errors["hours_per_week"] = _("Give a cap from 1 to 168 hours a week, or none.")
    return errors


def _check_campaign_inputs(
    actor: User, terms: CampaignTerms, campaign: Campaign | None = None
) -> None:
    """The spaces and last year's campaign must be the actor's (else PermissionDenied)."""
    spaces, previous = terms.spaces, terms.previous
    if spaces_manageable_by(actor).filter(pk__in=[s.pk for s in spaces]).count() != len(
        {s.pk for s in spaces}
    ):
        raise PermissionDenied
    if previous is not None and not campaigns_manageable_by(actor).filter(pk=previous.pk).exists():
        raise PermissionDenied
    if campaign is not None and previous is not None and previous.pk == campaign.pk:
        raise ValidationError({"previous": _("A campaign cannot follow itself.")})


def _campaign_spaces_set(
    campaign: Campaign,
    spaces: list[Space],
    *,
    closed_in_school_holidays: bool,
    open_in_school_holidays: list[Space],
) -> None:
    """The campaign's spaces, each closed during the school holidays unless listed open."""
    open_ids = {s.pk for s in open_in_school_holidays}
    CampaignSpace.objects.filter(campaign=campaign).delete()
    CampaignSpace.objects.bulk_create(
        CampaignSpace(
            campaign=campaign,
            space=space,
            closed_in_school_holidays=closed_in_school_holidays and space.pk not in open_ids,
        )
        for space in sorted({s.pk: s for s in spaces}.values(), key=lambda s: s.pk)
    )


def _terms_columns(terms: CampaignTerms) -> dict:
    """The campaign's columns for `terms`, checked (ValidationError naming each field)."""
    errors = _campaign_errors(terms)
    if errors:
        raise ValidationError(errors)
    return {
        "title": terms.title.strip(),
        "school_year": terms.school_year,
        "opens_on": terms.opens_on,
        "deadline": terms.deadline,
        "hours_per_week": terms.hours_per_week,
        "local_first": terms.local_first,
        "favoured_families": _check_weights(
            terms.favoured_families or {}, EssFamily, "favoured_families"
        ),
        "favoured_activities": _check_weights(
            terms.favoured_activities or {}, ActivityKind, "favoured_activities"
        ),
        "holders_keep": terms.holders_keep,
        "previous": terms.previous,
    }


def _terms_relations_set(campaign: Campaign, terms: CampaignTerms) -> None:
    campaign.local_structures.set(terms.local_structures)
    _campaign_spaces_set(
        campaign,
        terms.spaces,
        closed_in_school_holidays=terms.closed_in_school_holidays,
        open_in_school_holidays=terms.open_in_school_holidays,
    )


@transaction.atomic
def campaign_create(*, actor: User, owner: Organisation, terms: CampaignTerms) -> Campaign:
    """Draft a campaign of `owner` (a commune or the intercommunality the actor acts for) over
    spaces the actor manages, with its rules (frozen when it opens)."""
    if is_platform(actor) or not site_owners_for(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied
    _check_campaign_inputs(actor, terms)
    campaign = Campaign.objects.create(owner=owner, created_by=actor, **_terms_columns(terms))
    _terms_relations_set(campaign, terms)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor: User, terms: CampaignTerms) -> Campaign:
    """Change a draft campaign's terms, spaces and rules (all of them; its owner stays). Once
    opened, its rules are frozen: refused."""
    campaign_check_manager(actor=actor, campaign=campaign)
    _check_campaign_inputs(actor, terms, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("The campaign is open: its rules are frozen."))
    Campaign.objects.filter(pk=campaign.pk).update(**_terms_columns(terms))
    campaign.refresh_from_db()
    _terms_relations_set(campaign, terms)
    return campaign


def _campaign_transition(campaign: Campaign, to: str, actor: Actor, reason: str = "") -> bool:
    from_status = status_change(
        campaign, to=to, transitions=CAMPAIGN_TRANSITIONS, error=CampaignInvalidTransition
    )
    if from_status is None:
        return False
    CampaignLog.objects.create(
        campaign=campaign,
        from_status=from_status,
        to_status=to,
        actor=logged_actor(actor),
        reason=reason,
    )
    return True


@transaction.atomic
def campaign_open(*, campaign: Campaign, actor: User) -> bool:
    """Open the campaign for wishes; its rules are frozen and published from now on (a
    snapshot is kept in `published_rules`, which the plan reads)."""
    campaign_check_manager(actor=actor, campaign=campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})
    if not campaign.spaces.exists():
        raise ValidationError({"spaces": _("Choose at least one space.")})
    changed = _campaign_transition(campaign, CampaignStatus.OPEN, actor)
    if changed:
        rules = FrozenRules(
            hours_per_week=campaign.hours_per_week,
            local_first=campaign.local_first,
            local_structures=frozenset(campaign.local_structures.values_list("pk", flat=True)),
            favoured_families=campaign.favoured_families,
            favoured_activities=campaign.favoured_activities,
            holders_keep=campaign.holders_keep,
        )
        Campaign.objects.filter(pk=campaign.pk).update(
            published_rules=rules.snapshot(), opened_at=timezone.now()
        )
    return changed


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor: User) -> bool:
    """Close the campaign to wishes (at or before its deadline), so a plan can be made."""
    campaign_check_manager(actor=actor, campaign=campaign)
    return _campaign_transition(campaign, CampaignStatus.CLOSED, actor)


# --- Wishes ---


@dataclass(frozen=True)
class OptionInput:
    """One choice of a wish as a form or the API gives it: a space or a kind of space."""

    weekday: int
    start: time
    end: time
    space: Space | None = None
    space_kind: str = ""


def _option_errors(
    campaign: Campaign,
    option: OptionInput,
    *,
    attendees: int,
    amenities: set[int],
    campaign_spaces: dict[int, Space],
    cap_minutes: int | None,
) -> list[str]:
    if not isinstance(option.weekday, int) or not 0 <= option.weekday <= 6:
        return [_("Choose a day of the week.")]
    if not isinstance(option.start, time) or not isinstance(option.end, time):
        return [_("Give a start and an end time.")]
    errors = slot_errors(option.start, option.end)
    if errors:
        return errors
    if option.space is not None:
        if option.space.pk not in campaign_spaces:
            return [_("Choose a space of this campaign.")]
        candidates = [campaign_spaces[option.space.pk]]
    elif option.space_kind in SpaceKind.values:
        candidates = [s for s in campaign_spaces.values() if s.kind == option.space_kind]
        if not candidates:
            return [_("This campaign has no space of that kind.")]
    else:
        return [_("Choose a space or a kind of space.")]
    if not any(s.capacity >= attendees for s in candidates):
        return [_("No space of this choice seats %(count)s people.") % {"count": attendees}]
    if not any(amenities <= {a.pk for a in s.amenities.all()} for s in candidates):
        return [_("No space of this choice has the equipment needed.")]
    if not any(
        fits_opening_hours(
            option.weekday,
            option.start,
            option.end,
            [(h.weekday, h.opens, h.closes) for h in s.opening_hours.all()],
        )
        for s in candidates
    ):
        return [_("The space is closed at that time.")]
    minutes = minutes_of(option.end) - minutes_of(option.start)
    if cap_minutes is not None and minutes > cap_minutes:
        return [
            _("This campaign gives a structure %(hours)s hours a week at most.")
            % {"hours": cap_minutes // 60}
        ]
    return []


@transaction.atomic
def wish_submit(
    *,
    actor: User,
    campaign: Campaign,
    structure: Organisation,
    rank: int,
    attendees: int,
    purpose: str,
    activity: str,
    period: str,
    options: list[OptionInput],
    amenities: list[Amenity] = (),  # type: ignore[assignment]
) -> Wish:
    """Submit a wish of `structure` (a verified structure of the actor) before the deadline:
    its first choice and up to three ranked alternatives, each checked against the campaign's
    spaces (capacity, equipment, opening hours) and its weekly cap."""
    if (
        is_platform(actor)
        or not structures_allowed_to_request_for(actor).filter(pk=structure.pk).exists()
    ):
        raise PermissionDenied
    if not campaigns_visible_to(actor).filter(pk=campaign.pk).exists():
        raise PermissionDenied
    campaign = Campaign.objects.get(pk=campaign.pk)
    if not campaign_accepts_wishes(campaign):
        raise ValidationError(_("This campaign does not accept wishes."))
    errors: dict[str, list[str]] = {}
    if not isinstance(rank, int) or not 1 <= rank <= MAX_WISHES_PER_STRUCTURE:
        errors["rank"] = [_("Give a rank from 1 to %(max)s.") % {"max": MAX_WISHES_PER_STRUCTURE}]
    if not isinstance(attendees, int) or not 1 <= attendees <= 100_000:
        errors["attendees"] = [_("Give a number of attendees from 1 to 100,000.")]
    if not purpose.strip():
        errors["purpose"] = [_("Say what the slot is for.")]
    if activity not in ActivityKind.values:
        errors["activity"] = [_("Choose a kind of activity.")]
    if period not in SeasonPeriod.values:
        errors["period"] = [_("Choose the whole year or a term.")]
    if not 1 <= len(options) <= 1 + MAX_ALTERNATIVES:
        errors["options"] = [
            _("Give a first choice and at most %(max)s alternatives.") % {"max": MAX_ALTERNATIVES}
        ]
    if errors:
        raise ValidationError(errors)
    campaign_spaces = {
        link.space.pk: link.space
        for link in CampaignSpace.objects.filter(campaign=campaign)
        .select_related("space")
        .prefetch_related("space__amenities", "space__opening_hours")
    }
    cap = FrozenRules.from_snapshot(campaign.published_rules).cap_minutes
    needed = {a.pk for a in amenities}
    for position, option in enumerate(options, start=1):
        problems = _option_errors(
            campaign,
            option,
            attendees=attendees,
            amenities=needed,
            campaign_spaces=campaign_spaces,
            cap_minutes=cap,
        )
        if problems:
            errors[f"options.{position}"] = problems
    if errors:
        raise ValidationError(errors)
    wish = Wish(
        campaign=campaign,
        structure=structure,
        submitted_by=actor,
        rank=rank,
        attendees=attendees,
        purpose=purpose.strip(),
        activity=activity,
        period=period,
    )
    wish.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            wish.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"rank": [_("Your structure already has a wish of this rank.")]}
        ) from exc
    wish.amenities.set(amenities)
    WishOption.objects.bulk_create(
        WishOption(
            wish=wish,
            position=position,
            weekday=option.weekday,
            start=option.start,
            end=option.end,
            space=option.space,
            space_kind="" if option.space is not None else option.space_kind,
        )
        for position, option in enumerate(options, start=1)
    )
    return wish


@transaction.atomic
def wish_withdraw(*, wish: Wish, actor: User) -> bool:
    """Withdraw a wish of the actor's structure, before the deadline."""
    if is_platform(actor):
        raise PermissionDenied
    if not wishes_of_applicant(actor).filter(pk=wish.pk).exists():
        _refuse(wishes_visible_to(actor).filter(pk=wish.pk).exists())
    wish = Wish.objects.select_for_update().select_related("campaign").get(pk=wish.pk)
    if not campaign_accepts_wishes(wish.campaign):
        raise ValidationError(_("This campaign does not accept wishes."))
    if wish.status == WishStatus.WITHDRAWN:
        return False
    wish.status = WishStatus.WITHDRAWN
    wish.save(update_fields=["status"])
    return True


def _last_year_slots(campaign: Campaign, structure: Organisation) -> list[dict]:
    """The slots `structure` held last year: the previous campaign's last plan, or else its
    weekly booking series in the campaign's spaces during the previous school year."""
    run = latest_run(campaign.previous) if campaign.previous_id else None
    if run is not None:
        return [
            {
                "weekday": a.option.weekday,
                "start": a.option.start,
                "end": a.option.end,
                "space": a.space,
                "attendees": a.wish.attendees,
                "purpose": a.wish.purpose,
                "activity": a.wish.activity,
                "period": a.wish.period,
            }
            for a in PlanAssignment.objects.filter(
                run=run, wish__structure=structure, space__isnull=False
            )
            .select_related("option", "wish", "space")
            .order_by("wish__rank", "pk")
        ]
    first, last = dates.school_year_bounds(campaign.school_year - 1)
    zone = local_zone()
    series = (
        Booking.objects.filter(
            organisation=structure,
            frequency=Frequency.WEEKLY,
            status__in=OCCUPYING,
            space__in=campaign.spaces.values("space"),
            start__gte=datetime.combine(first, time(0), zone),
            start__lt=datetime.combine(last, time(0), zone),
        )
        .select_related("space")
        .order_by("start", "pk")
    )
    slots = []
    for booking in series:
        start, end = booking.start.astimezone(zone), booking.end.astimezone(zone)
        if start.date() != end.date():
            continue
        slots.append(
            {
                "weekday": start.weekday(),
                "start": start.time(),
                "end": end.time(),
                "space": booking.space,
                "attendees": booking.attendees,
                "purpose": booking.purpose,
                "activity": ActivityKind.OTHER,
                "period": SeasonPeriod.YEAR,
            }
        )
    return slots


@transaction.atomic
def wishes_renew(*, actor: User, campaign: Campaign, structure: Organisation) -> list[Wish]:
    """Pre-fill `structure`'s wishes with the slots it held last year ("renew my slots"): one
    wish per slot, after its existing wishes; a slot it already asks for is skipped, and so is
    one that no longer fits the campaign (a space withdrawn, the cap lowered)."""
    if (
        is_platform(actor)
        or not structures_allowed_to_request_for(actor).filter(pk=structure.pk).exists()
    ):
        raise PermissionDenied
    if not campaigns_visible_to(actor).filter(pk=campaign.pk).exists():
        raise PermissionDenied
    if not campaign_accepts_wishes(campaign):
        raise ValidationError(_("This campaign does not accept wishes."))
    live = Wish.objects.filter(campaign=campaign, structure=structure, status=WishStatus.SUBMITTED)
    asked = set(
        WishOption.objects.filter(wish__in=live, position=1).values_list(
            "space", "weekday", "start", "end"
        )
    )
    rank = live.aggregate(Max("rank"))["rank__max"] or 0
    created = []
    for slot in _last_year_slots(campaign, structure):
        key = (slot["space"].pk, slot["weekday"], slot["start"], slot["end"])
        if key in asked or rank >= MAX_WISHES_PER_STRUCTURE:
            continue
        try:
            with transaction.atomic():
                wish = wish_submit(
                    actor=actor,
                    campaign=campaign,
                    structure=structure,
                    rank=rank + 1,
                    attendees=slot["attendees"],
                    purpose=slot["purpose"],
                    activity=slot["activity"],
                    period=slot["period"],
                    options=[
                        OptionInput(
                            weekday=slot["weekday"],
                            start=slot["start"],
                            end=slot["end"],
                            space=slot["space"],
                        )
                    ],
                )
        except ValidationError:
            continue
        asked.add(key)
        rank += 1
        created.append(wish)
    return created


# --- The plan ---


def plan_run(*, campaign: Campaign, actor: User, seed: int = 0) -> PlanRun:
    """Run the optimiser on a closed campaign's wishes and store the plan with an explanation
    for every wish; the campaign becomes "plan proposed". Runs again on a proposed plan (the
    same inputs and seed give the same plan).

    The solver runs outside any transaction (up to PLAN_TIME_LIMIT_SECONDS): a closed campaign's
    wishes and rules no longer change, and holding a lock that long would stop every writer on
    SQLite. The plan is then stored in one transaction, after checking the campaign is still
    closed or planned and its inputs the same."""
    campaign_check_manager(actor=actor, campaign=campaign)
    if not 0 <= seed <= 32_767:
        raise ValidationError({"seed": _("Give a seed from 0 to 32,767.")})
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.status not in (CampaignStatus.CLOSED, CampaignStatus.PLANNED):
        raise ValidationError(_("Close the campaign before making its plan."))
    problem = plan_problem(campaign, seed=seed, time_limit=PLAN_TIME_LIMIT_SECONDS)
    plan = solver.solve(problem)
    sentences = explanations.explain(problem, plan)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in (
            CampaignStatus.CLOSED,
            CampaignStatus.PLANNED,
        ) or problem_hash(problem) != problem_hash(plan_problem(campaign, seed=seed)):
            raise ValidationError(_("The campaign changed meanwhile: make its plan again."))
        return _plan_store(campaign, actor, problem, plan, sentences)


def _plan_store(
    campaign: Campaign,
    actor: User,
    problem: solver.Problem,
    plan: solver.Plan,
    sentences: dict[int, str],
) -> PlanRun:
    run = PlanRun.objects.create(
        campaign=campaign,
        inputs_hash=problem_hash(problem),
        seed=problem.seed,
        status=plan.status,
        seconds=round(plan.seconds, 3),
        objective=plan.objective,
        wishes_count=len(problem.wishes),
        met_count=len(plan.placements),
        run_by=actor,
    )
    options = {
        (o.wish_id, o.position): o.pk
        for o in WishOption.objects.filter(wish__in=[w.id for w in problem.wishes])
    }
    PlanAssignment.objects.bulk_create(
        PlanAssignment(
            run=run,
            wish_id=wish.id,
            option_id=options[wish.id, placed.position] if placed else None,
            space_id=placed.space_id if placed else None,
            explanation=sentences[wish.id],
        )
        for wish in problem.wishes
        for placed in [plan.placements.get(wish.id)]
    )
    _campaign_transition(campaign, CampaignStatus.PLANNED, actor)
    return run


# --- Arbitration: the managers move, swap or take off wishes of the proposed plan ---


def _arbitrated(assignment: PlanAssignment, actor: User) -> tuple[Campaign, PlanRun]:
    """Check `actor` runs the assignment's campaign, lock the campaign (moves are serialised)
    and refuse unless the plan is proposed and the assignment is of its latest run."""
    campaign = Campaign.objects.get(plan_runs=assignment.run_id)
    campaign_check_manager(actor=actor, campaign=campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.PLANNED:
        raise ValidationError(
            _("The plan may be changed only while it is proposed, before the committee decides.")
        )
    run = latest_run(campaign)
    if run is None or run.pk != assignment.run_id:
        raise ValidationError(_("A newer plan replaced this one: reload the page."))
    return campaign, run


def _minutes_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60) if minutes < 24 * 60 else time(0)


def _slot_text(space_name: str, option: solver.Option) -> str:
    return _("%(space)s, %(weekday)s %(start)s–%(end)s") % {
        "space": space_name,
        "weekday": weekday_name(option.weekday).lower(),
        "start": time_text(_minutes_time(option.start)),
        "end": time_text(_minutes_time(option.end)),
    }


def _placement_errors(
    campaign: Campaign,
    problem: solver.Problem,
    *,
    wish_id: int,
    position: int,
    space_id: int,
    placed: dict[int, tuple[int, int]],
) -> list[str]:
    """What the solver would refuse in placing option `position` of wish `wish_id` in space
    `space_id`, the other wishes placed as `placed` ({wish id: (position, space id)}): a space
    of the campaign that seats it, has its equipment and is open then (whatever kind of space
    the option named: the managers may choose another), with a date left once the closures
    are out; no overlap with another placed wish in that space on a common term; the
    structure's weekly cap. In French, naming the clash."""
    wishes = {wish.id: wish for wish in problem.wishes}
    spaces = {space.id: space for space in problem.spaces}
    wish = wishes.get(wish_id)
    if wish is None:
        return [_("This wish is no longer submitted.")]
    options = {option.position: option for option in wish.options}
    option = options.get(position)
    if option is None:
        return [_("Choose one of this wish's own choices.")]
    space = spaces.get(space_id)
    if space is None:
        return [_("Choose a space of this campaign.")]
    slot = _slot_text(space.name, option)
    reason = solver.unfit_reason(wish, replace(option, space_id=None, space_kind=""), space)
    if reason == solver.UNFIT_CAPACITY:
        return [
            _("%(space)s seats %(capacity)s people; this wish is for %(attendees)s.")
            % {"space": space.name, "capacity": space.capacity, "attendees": wish.attendees}
        ]
    if reason == solver.UNFIT_EQUIPMENT:
        return [_("%(space)s lacks the equipment this wish needs.") % {"space": space.name}]
    if reason == solver.UNFIT_HOURS:
        return [_("%(slot)s: the space is closed at that time.") % {"slot": slot}]
    errors = []
    for other_id, (other_position, other_space) in sorted(placed.items()):
        if other_id == wish_id or other_space != space_id:
            continue
        other = wishes.get(other_id)
        if other is None:
            continue
        other_option = next(o for o in other.options if o.position == other_position)
        if solver.overlaps(option, wish.terms, other_option, other.terms):
            errors.append(
                _("%(slot)s overlaps the slot of %(structure)s (%(other)s).")
                % {
                    "slot": slot,
                    "structure": other.structure_name,
                    "other": _slot_text(space.name, other_option),
                }
            )
    if problem.cap_minutes is not None:
        minutes = option.minutes
        for other_id, (other_position, _space) in placed.items():
            other = wishes.get(other_id)
            if other_id != wish_id and other and other.structure_id == wish.structure_id:
                minutes += next(o for o in other.options if o.position == other_position).minutes
        if minutes > problem.cap_minutes:
            errors.append(
                _(
                    "%(structure)s would get %(hours)s a week, more than the campaign's cap of "
                    "%(cap)s hours."
                )
                % {
                    "structure": wish.structure_name,
                    "hours": duration_text(minutes),
                    "cap": problem.cap_minutes // 60,
                }
            )
    if not errors:
        link = CampaignSpace.objects.get(campaign=campaign, space_id=space_id)
        period = Wish.objects.values_list("period", flat=True).get(pk=wish_id)
        if not slot_dates_of(
            campaign_space=link,
            weekday=option.weekday,
            start=_minutes_time(option.start),
            end=_minutes_time(option.end),
            period=period,
        ):
            errors.append(_("%(slot)s: the space is closed on every date.") % {"slot": slot})
    return errors


def _placed(run: PlanRun) -> dict[int, tuple[int, int]]:
    return {
        wish_id: (position, space_id)
        for wish_id, position, space_id in PlanAssignment.objects.filter(
            run=run, space__isnull=False
        ).values_list("wish_id", "option__position", "space_id")
    }


def _by_hand(actor: User, *, now: datetime, placed: str | None) -> str:
    values = {"name": str(actor), "date": day_text(timezone.localdate(now), year=True)}
    if placed is None:
        return _("Taken off the plan by hand by %(name)s on %(date)s.") % values
    return _("Placed by hand by %(name)s on %(date)s: %(slot)s.") % {**values, "slot": placed}


def _moved(
    assignment: PlanAssignment, actor: User, option: WishOption | None, space: Space | None
) -> None:
    now = timezone.now()
    placed = None
    if option is not None and space is not None:
        placed = _("%(space)s, %(weekday)s %(start)s–%(end)s") % {
            "space": space.name,
            "weekday": weekday_name(option.weekday).lower(),
            "start": time_text(option.start),
            "end": time_text(option.end),
        }
    assignment.option, assignment.space = option, space
    assignment.explanation = f"{assignment.explanation}\n{_by_hand(actor, now=now, placed=placed)}"
    assignment.moved_by, assignment.moved_at = actor, now
    assignment.save(update_fields=["option", "space", "explanation", "moved_by", "moved_at"])


def _recount(run: PlanRun) -> None:
    PlanRun.objects.filter(pk=run.pk).update(
        met_count=PlanAssignment.objects.filter(run=run, space__isnull=False).count()
    )


@transaction.atomic
def plan_assignment_move(
    *,
    assignment: PlanAssignment,
    actor: User,
    option: WishOption | None,
    space: Space | None,
) -> PlanAssignment:
    """Place a wish of the proposed plan on one of its own options' times in a space of the
    campaign that fits it, or take it off the plan (`option` and `space` None). Re-checked as
    the solver checks (`_placement_errors`); the explanation says who placed it by hand and
    when. Only those who run the campaign, while the plan is proposed. Moving it where it is
    changes nothing. Raises ValidationError in French naming the clash."""
    campaign, run = _arbitrated(assignment, actor)
    locked = (
        PlanAssignment.objects.select_for_update(of=("self",))
        .select_related("option")
        .get(pk=assignment.pk)
    )
    if (option is None) != (space is None):
        raise ValidationError(
            _("Choose a choice of the wish and a space, or neither to take it off the plan.")
        )
    if option is not None and option.wish_id != locked.wish_id:
        raise ValidationError({"option": [_("Choose one of this wish's own choices.")]})
    wanted = (option.pk if option else None, space.pk if space else None)
    if (locked.option_id, locked.space_id) == wanted:
        return locked
    if option is not None and space is not None:
        placed = _placed(run)
        placed.pop(locked.wish_id, None)
        errors = _placement_errors(
            campaign,
            plan_problem(campaign),
            wish_id=locked.wish_id,
            position=option.position,
            space_id=space.pk,
            placed=placed,
        )
        if errors:
            raise ValidationError(errors)
    _moved(locked, actor, option, space)
    _recount(run)
    return locked


@transaction.atomic
def plan_assignments_swap(*, first: PlanAssignment, second: PlanAssignment, actor: User) -> None:
    """Two placed wishes of the proposed plan exchange their spaces, each keeping its own
    times; both re-checked as a move is. Only those who run the campaign, while the plan is
    proposed."""
    campaign, run = _arbitrated(first, actor)
    if second.run_id != run.pk:
        raise ValidationError(_("A newer plan replaced this one: reload the page."))
    if first.pk == second.pk:
        raise ValidationError(_("Choose two different wishes to exchange."))
    locked = {
        a.pk: a
        for a in PlanAssignment.objects.select_for_update(of=("self",))
        .select_related("option", "space")
        .filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
    }
    one, two = locked[first.pk], locked[second.pk]
    if one.space_id is None or two.space_id is None:
        raise ValidationError(_("Only two wishes placed on the plan exchange their spaces."))
    if one.space_id == two.space_id:
        raise ValidationError(_("These two wishes are in the same space: nothing to exchange."))
    placed = _placed(run)
    placed[one.wish_id] = (one.option.position, two.space_id)
    placed[two.wish_id] = (two.option.position, one.space_id)
    problem = plan_problem(campaign)
    errors = []
    for assignment, space_id in ((one, two.space_id), (two, one.space_id)):
        errors += _placement_errors(
            campaign,
            problem,
            wish_id=assignment.wish_id,
            position=assignment.option.position,
            space_id=space_id,
            placed=placed,
        )
    if errors:
        raise ValidationError(errors)
    space_one, space_two = one.space, two.space
    _moved(one, actor, one.option, space_two)
    _moved(two, actor, two.option, space_one)


# --- The committee's decision and the publication ---

MAX_REFERENCE_LENGTH = 100


@transaction.atomic
def campaign_decide(
    *, campaign: Campaign, actor: User, decided_on: date, deliberation_reference: str
) -> Campaign:
    """Record the committee's decision on the proposed plan (its latest run): the date and the
    reference of the deliberation; the campaign becomes "decided" and its plan can no longer
    be changed, only published. Only those who run the campaign."""
    campaign_check_manager(actor=actor, campaign=campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    reference = deliberation_reference.strip() if isinstance(deliberation_reference, str) else ""
    errors = {}
    if not 1 <= len(reference) <= MAX_REFERENCE_LENGTH:
        errors["deliberation_reference"] = _(
            "Give the reference of the deliberation (100 characters at most)."
        )
    today = timezone.localdate()
    earliest = date(campaign.school_year - 1, 1, 1)
    if not isinstance(decided_on, date) or isinstance(decided_on, datetime):
        errors["decided_on"] = _("Give the date of the decision.")
    elif decided_on > today:
        errors["decided_on"] = _("The decision cannot be dated in the future.")
    elif decided_on < max(earliest, campaign.opens_on):
        errors["decided_on"] = _("The decision cannot come before the campaign opened.")
    if errors:
        raise ValidationError(errors)
    if campaign.status == CampaignStatus.PLANNED and latest_run(campaign) is None:
        raise ValidationError(_("Make the plan before the committee decides on it."))
    changed = _campaign_transition(
        campaign, CampaignStatus.DECIDED, actor, f"{reference} ({decided_on.isoformat()})"
    )
    if changed:  # a repeated decision never overwrites the recorded deliberation
        Campaign.objects.filter(pk=campaign.pk).update(
            decided_on=decided_on, deliberation_reference=reference
        )
    return Campaign.objects.get(pk=campaign.pk)


@dataclass(frozen=True)
class PublicationReport:
    """What a publication wrote: one weekly series per met wish, their dates, the structures
    told (one e-mail each)."""

    campaign_id: int
    series: int
    dates: int
    structures: int
    already: bool = False  # published before: nothing written this time


def _met(run: PlanRun) -> list[PlanAssignment]:
    return list(
        PlanAssignment.objects.filter(run=run, space__isnull=False)
        .select_related("wish__structure", "wish__submitted_by", "option", "space__site")
        .order_by("space_id", "option__weekday", "option__start", "pk")
    )


def _placements(
    campaign: Campaign, assignments: list[PlanAssignment]
) -> tuple[list[SeriesPlacement], list[PlanAssignment]]:
    """Each met assignment as a weekly series placement (its dates in local time), and those
    left with no date at all (closed on every one)."""
    zone = local_zone()
    found = campaign_slot_dates(
        campaign,
        [
            (a.space_id, a.option.weekday, a.option.start, a.option.end, a.wish.period)
            for a in assignments
        ],
    )
    placements, empty = [], []
    for assignment, days in zip(assignments, found, strict=True):
        option = assignment.option
        if not days:
            empty.append(assignment)
            continue
        placements.append(
            SeriesPlacement(
                key=assignment.pk,
                space_id=assignment.space_id,
                organisation_id=assignment.wish.structure_id,
                requested_by_id=assignment.wish.submitted_by_id,
                purpose=assignment.wish.purpose,
                attendees=assignment.wish.attendees,
                periods=tuple(local_period(day, option.start, option.end, zone) for day in days),
            )
        )
    return placements, empty


def _clashes_named(
    clashes: list[PlacementClash], assignments: dict[int, PlanAssignment]
) -> list[Clash]:
    """The placements' clashing dates grouped per assignment, named, in the plan's order."""
    zone = local_zone()
    grouped: dict[int, list[PlacementClash]] = {}
    for clash in clashes:
        grouped.setdefault(clash.key, []).append(clash)
    named = []
    for key in sorted(grouped, key=lambda k: list(assignments).index(k)):
        assignment = assignments[key]
        found = sorted(grouped[key], key=lambda c: c.period.start)
        reason = found[0].reason
        if found[0].other_key is not None and found[0].other_key in assignments:
            other = assignments[found[0].other_key]
            reason = _("Overlaps the slot of %(structure)s in the same space (%(slot)s).") % {
                "structure": other.wish.structure.name,
                "slot": f"{weekday_name(other.option.weekday).lower()} "
                f"{time_text(other.option.start)}–{time_text(other.option.end)}",
            }
        named.append(
            Clash(
                assignment_id=key,
                space_name=assignment.space.name,
                structure_name=assignment.wish.structure.name,
                dates=sorted({c.period.start.astimezone(zone).date() for c in found}),
                reason=str(reason),
            )
        )
    return named


def _campaign_clashes(*, campaign: Campaign) -> list[Clash]:
    """What would stop the decided plan's publication now (read only): every met wish whose
    dates clash with what is booked, closed or let in its space, or with another wish's."""
    run = latest_run(campaign)
    if run is None:
        return []
    assignments = _met(run)
    placements, _empty = _placements(campaign, assignments)
    spaces = {a.space_id: a.space for a in assignments}
    return _clashes_named(
        placement_clashes(placements=placements, spaces=spaces), {a.pk: a for a in assignments}
    )


def campaign_publish(*, campaign: Campaign, actor: User) -> PublicationReport:
    """Publish the decided plan (decided → published): each met wish becomes a confirmed weekly
    series of its structure over its dates (`slot_dates_of`: the period's weekdays without
    public holidays, zone B's school holidays where the space closes then, and closed days),
    all written in one transaction through `bookings.services.placements`. Any clash with what
    was booked meanwhile (or between two wishes) raises PlanClashes listing every one, and
    nothing is published; so does a refusal by the database (a concurrent writer), never a 500.
    On success each structure gets one e-mail (after the commit) with its slots and its
    calendar feed. Only those who run the campaign; publishing twice writes nothing twice."""
    campaign_check_manager(actor=actor, campaign=campaign)
    try:
        with transaction.atomic():
            return _publish(campaign, actor)
    except (BookingConflict, IntegrityError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and not _lost_to_a_concurrent_writer(exc):
            raise
        # A writer that bypassed the spaces' locks got there first (the exclusion constraint
        # refused our insert, or PostgreSQL broke the deadlock its deferred foreign-key check
        # made with our locks): the rows it wrote are committed now, so reading the clashes
        # again names them.
        clashes = _campaign_clashes(campaign=campaign)
        raise PlanClashes(
            clashes
            or [
                Clash(
                    assignment_id=0,
                    space_name="",
                    structure_name="",
                    reason=_("A slot was booked meanwhile: publish again."),
                )
            ]
        ) from exc


# PostgreSQL's codes for a transaction aborted by a concurrent one: a deadlock broken, a
# serialisation failure.
_CONCURRENCY_CODES = {"40P01", "40001"}


def _lost_to_a_concurrent_writer(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in _CONCURRENCY_CODES


def _publish(campaign: Campaign, actor: User) -> PublicationReport:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.PUBLISHED:
        return PublicationReport(campaign.pk, 0, 0, 0, already=True)
    if campaign.status != CampaignStatus.DECIDED:
        raise CampaignInvalidTransition(campaign.status, CampaignStatus.PUBLISHED)
    run = latest_run(campaign)
    assignments = _met(run) if run is not None else []
    placements, _empty = _placements(campaign, assignments)
    by_pk = {a.pk: a for a in assignments}
    reason = _("Season “%(title)s”, deliberation %(reference)s of %(date)s.") % {
        "title": campaign.title,
        "reference": campaign.deliberation_reference,
        "date": day_text(campaign.decided_on, year=True) if campaign.decided_on else "",
    }
    try:
        bookings = bookings_place_series(placements=placements, actor=actor, reason=reason)
    except SeriesClashes as exc:
        raise PlanClashes(_clashes_named(exc.clashes, by_pk)) from exc
    for key, booking in bookings.items():
        by_pk[key].booking = booking
    PlanAssignment.objects.bulk_update(
        [by_pk[key] for key in bookings], ["booking"], batch_size=1_000
    )
    _campaign_transition(campaign, CampaignStatus.PUBLISHED, actor, reason)
    published = [by_pk[key] for key in bookings]
    zone = local_zone()
    structures = notifications.campaign_published_notify(
        campaign,
        published,
        dates={
            p.key: [period.start.astimezone(zone).date() for period in p.periods]
            for p in placements
        },
        feeds=_structure_feeds(published),
    )
    return PublicationReport(
        campaign_id=campaign.pk,
        series=len(bookings),
        dates=sum(len(p.periods) for p in placements),
        structures=structures,
    )


def _structure_feeds(assignments: list[PlanAssignment]) -> dict[int, str]:
    """The address of each structure's calendar feed (its organisation's ICS feed): an active
    one created by a member is reused, else one is created for the member who submitted the
    wish (theirs to revoke on their subscriptions page). A structure none of whose wishes'
    authors is still a member gets no link."""
    structures = {a.wish.structure_id: a.wish.structure for a in assignments}
    authors: dict[int, list[User]] = {}
    for a in assignments:
        authors.setdefault(a.wish.structure_id, []).append(a.wish.submitted_by)
    feeds = {}
    for feed in CalendarFeed.objects.filter(
        scope=CalendarFeed.Scope.ORGANISATION,
        organisation__in=list(structures),
        revoked_at__isnull=True,
        created_by__is_active=True,
        created_by__memberships__organisation=F("organisation"),
    ).order_by("organisation_id", "pk"):
        feeds.setdefault(feed.organisation_id, feed)
    missing = {
        structure_id: list(dict.fromkeys(authors[structure_id]))
        for structure_id in structures
        if structure_id not in feeds
    }
    feeds.update(organisation_feeds_create(creators=missing))
    addresses = {structure_id: feed_url(feed) for structure_id, feed in feeds.items()}
    return addresses


@transaction.atomic
def season_slot_give_back(
    *, assignment: PlanAssignment, actor: User, from_date: date, reason: str
) -> int:
    """Give back a published slot from `from_date` (a local day) on: its remaining dates are
    cancelled (`bookings.services.booking_cancel`, that date and the following ones, on the
    actor's terms: a member respects the space's cancellation notice) and freed for hourly
    bookings. A member of the structure or one who runs the campaign; a reason is required.
    Returns the number of dates freed."""
    if is_platform(actor) or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    assignment = PlanAssignment.objects.select_related("run__campaign", "booking").get(
        pk=assignment.pk
    )
    campaign = assignment.run.campaign
    wish_allowed = wishes_of_applicant(actor).filter(pk=assignment.wish_id).exists()
    if not wish_allowed and not campaigns_manageable_by(actor).filter(pk=campaign.pk).exists():
        _refuse(wishes_visible_to(actor).filter(pk=assignment.wish_id).exists())
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError({"reason": _("Say why the slot is given back.")})
    if campaign.status != CampaignStatus.PUBLISHED or assignment.booking is None:
        raise ValidationError(_("Only a published slot may be given back."))
    if not isinstance(from_date, date) or isinstance(from_date, datetime):
        raise ValidationError({"from_date": _("Give the first date to give back.")})
    if from_date < timezone.localdate():
        raise ValidationError({"from_date": _("This date is past: choose today or a later date.")})
    start = datetime.combine(from_date, time(0), tzinfo=local_zone())
    try:
        freed = booking_cancel(
            booking=assignment.booking,
            actor=actor,
            reason=reason,
            occurrence_start=start,
            and_following=True,
        )
    except ValidationError as exc:
        if "occurrence_start" in getattr(exc, "error_dict", {}):
            raise ValidationError(
                {"from_date": _("No date of this slot is left from that day.")}
            ) from exc
        raise
    given_back = min(filter(None, [assignment.given_back_from, from_date]))
    PlanAssignment.objects.filter(pk=assignment.pk).update(given_back_from=given_back)
    return freed


# --- The deadline job ---


def campaigns_close_due(*, now: datetime | None = None) -> int:
    """Close the open campaigns whose deadline has passed (the platform acts, logged without a
    person), telling the people who run each; returns how many were closed. Each campaign is
    closed under its row lock: two runs at once close it once."""
    now = now or timezone.now()
    closed = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN, deadline__lte=now).order_by(
        "pk"
    ):
        with transaction.atomic():
            if _campaign_transition(
                campaign, CampaignStatus.CLOSED, PLATFORM, _("Deadline for wishes reached.")
            ):
                notifications.campaign_closed_notify(campaign)
                closed += 1
    return closed
