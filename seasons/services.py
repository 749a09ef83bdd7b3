"""Writes of the season: campaigns (create, open with its rules frozen, close), wishes (submit,
withdraw, renew last year's slots) and the plan (run the optimiser, store it, explained).

Every service checks its actor: a campaign's changes and its plan are for those who run it
(`campaigns_manageable_by`), a wish for the members of its verified structure. Outsiders get
PermissionDenied (404); those who see the campaign but may not act get DecisionNotAllowed (403).
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform, logged_actor
from accounts.exceptions import DecisionNotAllowed
from accounts.models import EssFamily, Organisation, User
from accounts.selectors import structures_allowed_to_request_for
from bookings.models import OCCUPYING, Booking, Frequency
from bookings.selectors.local_time import local_zone
from core.workflow import status_change
from seasons import dates, explanations, solver
from seasons.exceptions import CampaignInvalidTransition
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
    campaigns_manageable_by,
    campaigns_visible_to,
    latest_run,
    plan_problem,
    problem_hash,
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


def _campaign_errors(
    *,
    title: str,
    spaces: list[Space],
    school_year: int,
    opens_on: date,
    deadline: datetime,
    hours_per_week: int | None,
) -> dict[str, str]:
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the campaign a title.")
    if not spaces:
        errors["spaces"] = _("Choose at least one space.")
    if not 2000 <= school_year <= 2100:
        errors["school_year"] = _("Give the first year of the school year, e.g. 2027.")
    if deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    elif deadline.date() < opens_on:
        errors["deadline"] = _("The deadline must come after the opening date.")
    if hours_per_week is not None and not 1 <= hours_per_week <= 168:
        errors["hours_per_week"] = _("Give a cap from 1 to 168 hours a week, or none.")
    return errors


def _check_campaign_inputs(
    actor: User, spaces: list[Space], previous: Campaign | None, campaign: Campaign | None = None
) -> None:
    """The spaces and last year's campaign must be the actor's (else PermissionDenied)."""
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


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    owner: Organisation,
    title: str,
    school_year: int,
    opens_on: date,
    deadline: datetime,
    spaces: list[Space],
    closed_in_school_holidays: bool = True,
    open_in_school_holidays: list[Space] = (),  # type: ignore[assignment]
    hours_per_week: int | None = None,
    local_first: bool = False,
    local_structures: list[Organisation] = (),  # type: ignore[assignment]
    favoured_families: dict[str, int] | None = None,
    favoured_activities: dict[str, int] | None = None,
    holders_keep: bool = False,
    previous: Campaign | None = None,
) -> Campaign:
    """Draft a campaign of `owner` (a commune or the intercommunality the actor acts for) over
    spaces the actor manages, with its rules (frozen when it opens). Its spaces close during
    the school holidays (`closed_in_school_holidays`) but those in `open_in_school_holidays`."""
    if is_platform(actor) or not site_owners_for(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied
    _check_campaign_inputs(actor, spaces, previous)
    errors = _campaign_errors(
        title=title,
        spaces=spaces,
        school_year=school_year,
        opens_on=opens_on,
        deadline=deadline,
        hours_per_week=hours_per_week,
    )
    if errors:
        raise ValidationError(errors)
    families = _check_weights(favoured_families or {}, EssFamily, "favoured_families")
    activities = _check_weights(favoured_activities or {}, ActivityKind, "favoured_activities")
    campaign = Campaign.objects.create(
        owner=owner,
        title=title.strip(),
        school_year=school_year,
        opens_on=opens_on,
        deadline=deadline,
        hours_per_week=hours_per_week,
        local_first=local_first,
        favoured_families=families,
        favoured_activities=activities,
        holders_keep=holders_keep,
        previous=previous,
        created_by=actor,
    )
    campaign.local_structures.set(local_structures)
    _campaign_spaces_set(
        campaign,
        spaces,
        closed_in_school_holidays=closed_in_school_holidays,
        open_in_school_holidays=open_in_school_holidays,
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor: User,
    title: str,
    school_year: int,
    opens_on: date,
    deadline: datetime,
    spaces: list[Space],
    closed_in_school_holidays: bool = True,
    open_in_school_holidays: list[Space] = (),  # type: ignore[assignment]
    hours_per_week: int | None = None,
    local_first: bool = False,
    local_structures: list[Organisation] = (),  # type: ignore[assignment]
    favoured_families: dict[str, int] | None = None,
    favoured_activities: dict[str, int] | None = None,
    holders_keep: bool = False,
    previous: Campaign | None = None,
) -> Campaign:
    """Change a draft campaign's terms, spaces and rules (all of them, as `campaign_create`
    takes them; its owner stays). Once opened, its rules are frozen: refused."""
    campaign_check_manager(actor=actor, campaign=campaign)
    _check_campaign_inputs(actor, spaces, previous, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("The campaign is open: its rules are frozen."))
    errors = _campaign_errors(
        title=title,
        spaces=spaces,
        school_year=school_year,
        opens_on=opens_on,
        deadline=deadline,
        hours_per_week=hours_per_week,
    )
    if errors:
        raise ValidationError(errors)
    families = _check_weights(favoured_families or {}, EssFamily, "favoured_families")
    activities = _check_weights(favoured_activities or {}, ActivityKind, "favoured_activities")
    Campaign.objects.filter(pk=campaign.pk).update(
        title=title.strip(),
        school_year=school_year,
        opens_on=opens_on,
        deadline=deadline,
        hours_per_week=hours_per_week,
        local_first=local_first,
        favoured_families=families,
        favoured_activities=activities,
        holders_keep=holders_keep,
        previous=previous,
    )
    campaign.refresh_from_db()
    campaign.local_structures.set(local_structures)
    _campaign_spaces_set(
        campaign,
        spaces,
        closed_in_school_holidays=closed_in_school_holidays,
        open_in_school_holidays=open_in_school_holidays,
    )
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
