"""Pages of the structures asking for weekly slots: the open campaigns, a structure's wishes in a
campaign (submit, withdraw, renew last year's slots, the competition each choice meets), and
after publication its slots (give one back).

A member acts for one of their verified structures (`structures_allowed_to_request_for`); a
wish is reached through `wishes_of_applicant`, so another structure's wish is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Min, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exceptions import DecisionNotAllowed
from accounts.models import EssFamily, Organisation
from accounts.selectors import organisations_of, structures_allowed_to_request_for
from bookings.ics import calendar_feeds_of, feed_url
from bookings.models import CalendarFeed
from core.forms import form_add_service_errors
from seasons import selectors, services
from seasons.forms import OPTION_COUNT, GiveBackForm, OptionForm, WishForm
from seasons.models import (
    ActivityKind,
    Campaign,
    CampaignSpace,
    CampaignStatus,
    PlanAssignment,
    Wish,
    WishOption,
    WishStatus,
)
from seasons.rules import FrozenRules

# Once a plan is published, a structure sees what it got and why.
PLAN_SHOWN = frozenset({CampaignStatus.PUBLISHED})


def rules_in_words(campaign: Campaign) -> list[str]:
    """The campaign's published rules as sentences a structure reads before asking."""
    rules = FrozenRules.from_snapshot(campaign.published_rules)
    sentences = []
    if rules.hours_per_week:
        sentences.append(
            _("Each structure gets %(hours)s hours a week at most.")
            % {"hours": rules.hours_per_week}
        )
    else:
        sentences.append(_("There is no weekly cap per structure."))
    if rules.local_first:
        count = len(rules.local_structures)
        sentences.append(
            ngettext(
                "The commune's structures come first (%(count)s structure listed by the commune).",
                "The commune's structures come first (%(count)s structures listed by the commune).",
                count,
            )
            % {"count": count}
        )
    if rules.holders_keep:
        sentences.append(
            _("Last year's holders keep their slots, unless someone with a higher priority asks.")
        )
    for code, weight in rules.favoured_families.items():
        label = EssFamily(code).label if code in EssFamily.values else code
        sentences.append(
            _("Favoured family: %(label)s (weight %(weight)s out of 10).")
            % {"label": label, "weight": weight}
        )
    for code, weight in rules.favoured_activities.items():
        label = ActivityKind(code).label if code in ActivityKind.values else code
        sentences.append(
            _("Favoured activity: %(label)s (weight %(weight)s out of 10).")
            % {"label": label, "weight": weight}
        )
    sentences.append(
        _(
            "When several structures ask for the same slot, an optimiser meets as many wishes as "
            "it can, gives every structure at least one slot where possible, and explains each "
            "answer."
        )
    )
    return sentences


def _campaign_spaces():
    return Prefetch(
        "spaces",
        queryset=CampaignSpace.objects.select_related("space__site").order_by("space__name"),
        to_attr="offered",
    )


def _not_a_structure(request: HttpRequest) -> HttpResponse:
    """A 403 page that says why: no structure, or one the intercommunality has not verified."""
    if organisations_of(request.user).exists():
        message = _(
            "Your structure is not verified yet: the intercommunality checks its identifiers "
            "before it may ask for weekly slots."
        )
    else:
        message = _(
            "Weekly slots are asked for by social and solidarity economy structures. Register "
            "your structure (or ask its administrator to invite you), then come back."
        )
    return render(
        request,
        "core/refusal.html",
        {"title": _("You cannot ask for weekly slots"), "message": message},
        status=403,
    )


@login_required
@require_GET
def season_list(request: HttpRequest) -> HttpResponse:
    """The campaigns a structure may ask in (open, deadline ahead) and the others it sees."""
    campaigns = list(
        selectors.campaigns_visible_to(request.user)
        .exclude(status=CampaignStatus.DRAFT)
        .select_related("owner")
        .prefetch_related(_campaign_spaces())
        .order_by("deadline", "pk")
    )
    for campaign in campaigns:
        campaign.accepting = selectors.campaign_accepts_wishes(campaign)
        campaign.rules_text = rules_in_words(campaign)
    return render(
        request,
        "seasons/apply/season_list.html",
        {
            "open_campaigns": [c for c in campaigns if c.accepting],
            "other_campaigns": [c for c in campaigns if not c.accepting],
            "structures": list(structures_allowed_to_request_for(request.user).order_by("name")),
        },
    )


def _visible_campaign(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(
        selectors.campaigns_visible_to(request.user)
        .exclude(status=CampaignStatus.DRAFT)
        .select_related("owner"),
        pk=pk,
    )


@login_required
@require_GET
def campaign_structures(request: HttpRequest, pk: int) -> HttpResponse:
    """Which of the member's structures to act for: straight there when there is one."""
    campaign = _visible_campaign(request, pk)
    structures = list(structures_allowed_to_request_for(request.user).order_by("name"))
    if not structures:
        return _not_a_structure(request)
    if len(structures) == 1:
        return redirect("seasons:apply-campaign", pk=campaign.pk, structure_pk=structures[0].pk)
    return render(
        request,
        "seasons/apply/choose_structure.html",
        {"campaign": campaign, "structures": structures},
    )


def _structure_or_refusal(request: HttpRequest, structure_pk: int) -> Organisation | HttpResponse:
    structure = structures_allowed_to_request_for(request.user).filter(pk=structure_pk).first()
    if structure is not None:
        return structure
    if organisations_of(request.user).filter(pk=structure_pk).exists():
        return _not_a_structure(request)
    return get_object_or_404(Organisation.objects.none(), pk=structure_pk)


def _wishes_of(campaign: Campaign, structure: Organisation):
    return (
        Wish.objects.filter(campaign=campaign, structure=structure)
        .prefetch_related(
            Prefetch(
                "options",
                queryset=WishOption.objects.select_related("space").order_by("position"),
            ),
            "amenities",
        )
        .order_by("status", "rank", "pk")
    )


@login_required
@require_GET
def campaign_page(request: HttpRequest, pk: int, structure_pk: int) -> HttpResponse:
    """A structure's wishes in a campaign: their choices, the competition each choice meets
    (counts only), withdraw, renew; once the plan is published, what each wish got and why."""
    campaign = _visible_campaign(request, pk)
    structure = _structure_or_refusal(request, structure_pk)
    if isinstance(structure, HttpResponse):
        return structure
    wishes = list(_wishes_of(campaign, structure))
    accepting = selectors.campaign_accepts_wishes(campaign)
    submitted = [w for w in wishes if w.status == WishStatus.SUBMITTED]
    competition = (
        selectors.wishes_competition(Wish.objects.filter(pk__in=[w.pk for w in submitted]))
        if submitted and campaign.status != CampaignStatus.PUBLISHED
        else {}
    )
    answers = {}
    if campaign.status in PLAN_SHOWN:
        run = selectors.latest_run(campaign)
        if run is not None:
            answers = {
                a.wish_id: a
                for a in PlanAssignment.objects.filter(
                    run=run, wish__campaign=campaign, wish__structure=structure
                ).select_related("option", "space")
            }
    for wish in wishes:
        counts = competition.get(wish.pk, {})
        wish.choices = [(option, counts.get(option.position)) for option in wish.options.all()]
        wish.answer = answers.get(wish.pk)
    return render(
        request,
        "seasons/apply/campaign.html",
        {
            "campaign": campaign,
            "structure": structure,
            "wishes": wishes,
            "submitted_count": len(submitted),
            "accepting": accepting,
            "plan_shown": campaign.status in PLAN_SHOWN and bool(answers),
            "rules_text": rules_in_words(campaign),
        },
    )


def _option_forms(request: HttpRequest, campaign: Campaign, data=None) -> list[OptionForm]:
    spaces = [
        link.space
        for link in CampaignSpace.objects.filter(campaign=campaign)
        .select_related("space__site")
        .order_by("space__name", "pk")
    ]
    return [
        OptionForm(data, position=position, spaces=spaces)
        for position in range(1, OPTION_COUNT + 1)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def wish_create(request: HttpRequest, pk: int, structure_pk: int) -> HttpResponse:
    """The wish form: what for, then the first choice and up to three ranked alternatives.
    On a refusal every value typed stays, and each choice shows its own errors."""
    campaign = _visible_campaign(request, pk)
    structure = _structure_or_refusal(request, structure_pk)
    if isinstance(structure, HttpResponse):
        return structure
    back = redirect("seasons:apply-campaign", pk=campaign.pk, structure_pk=structure.pk)
    if not selectors.campaign_accepts_wishes(campaign):
        messages.error(request, _("This campaign does not accept wishes."))
        return back
    data = request.POST if request.method == "POST" else None
    next_rank = (
        Wish.objects.filter(
            campaign=campaign, structure=structure, status=WishStatus.SUBMITTED
        ).aggregate(Max("rank"))["rank__max"]
        or 0
    ) + 1
    form = WishForm(data, data_keys=request.POST.keys(), initial={"rank": next_rank})
    options = _option_forms(request, campaign, data)
    if request.method == "POST":
        # Every part validated, so that each shows its own errors at once.
        valid = [form.is_valid(), *(option.is_valid() for option in options)]
        if all(valid):
            values = form.cleaned_data
            choices = [option.option_input() for option in options]
            try:
                wish = services.wish_submit(
                    actor=request.user,
                    campaign=campaign,
                    structure=structure,
                    rank=values["rank"],
                    attendees=values["attendees"],
                    purpose=values["purpose"],
                    activity=values["activity"],
                    period=values["period"],
                    options=[choice for choice in choices if choice is not None],
                    amenities=list(values["amenities"]),
                )
            except ValidationError as exc:
                _add_option_errors(form, options, exc)
            else:
                messages.success(request, _("Your wish is submitted."))
                return redirect(f"{back.url}#voeu-{wish.pk}")
    status = 400 if form.is_bound and _has_errors(form, options) else 200
    return render(
        request,
        "seasons/apply/wish_form.html",
        {"campaign": campaign, "structure": structure, "form": form, "options": options},
        status=status,
    )


def _has_errors(form: WishForm, options: list[OptionForm]) -> bool:
    return bool(form.errors) or any(option.errors for option in options)


def _add_option_errors(form: WishForm, options: list[OptionForm], exc: ValidationError) -> None:
    """The service's errors on the form: `options.N` on the N-th filled-in choice."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    filled = [option for option in options if not option.is_empty]
    rest = {}
    for key, problems in exc.message_dict.items():
        if key.startswith("options.") and key[8:].isdigit() and 0 < int(key[8:]) <= len(filled):
            filled[int(key[8:]) - 1].add_error(None, problems)
        else:
            rest[key] = problems
    if rest:
        form_add_service_errors(form, ValidationError(rest))


@login_required
@require_GET
def wish_competition(request: HttpRequest, pk: int) -> HttpResponse:
    """The live count under a choice of the wish form (fetched by seasons/competition.js as the
    choice changes): how many submitted wishes ask for the same place at an overlapping time."""
    campaign = _visible_campaign(request, pk)
    if not structures_allowed_to_request_for(request.user).exists():
        return _not_a_structure(request)
    counts = []
    for option in _option_forms(request, campaign, request.GET):
        if option.is_empty or not option.is_valid():
            counts.append((option, None))
            continue
        choice = option.option_input()
        counts.append(
            (
                option,
                selectors.slot_competition(
                    campaign,
                    weekday=choice.weekday,
                    start=choice.start,
                    end=choice.end,
                    space=choice.space,
                    space_kind=choice.space_kind,
                ),
            )
        )
    return render(request, "seasons/apply/_competition.html", {"counts": counts})


@login_required
@require_GET
def wish_detail(request: HttpRequest, pk: int) -> HttpResponse:
    wish = get_object_or_404(
        selectors.wishes_of_applicant(request.user)
        .select_related("campaign", "structure")
        .prefetch_related(
            Prefetch("options", queryset=WishOption.objects.select_related("space")),
            "amenities",
        ),
        pk=pk,
    )
    accepting = selectors.campaign_accepts_wishes(wish.campaign)
    counts = (
        selectors.wish_competition(wish)
        if wish.status == WishStatus.SUBMITTED and wish.campaign.status != CampaignStatus.PUBLISHED
        else {}
    )
    return render(
        request,
        "seasons/apply/wish_detail.html",
        {
            "wish": wish,
            "campaign": wish.campaign,
            "choices": [(o, counts.get(o.position)) for o in wish.options.all()],
            "can_withdraw": accepting and wish.status == WishStatus.SUBMITTED,
        },
    )


@login_required
@require_POST
def wish_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    wish = get_object_or_404(selectors.wishes_of_applicant(request.user), pk=pk)
    try:
        changed = services.wish_withdraw(wish=wish, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DecisionNotAllowed as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        messages.error(request, _("You may not withdraw this wish."))
    else:
        if changed:
            messages.success(request, _("Your wish is withdrawn."))
    return redirect("seasons:apply-campaign", pk=wish.campaign_id, structure_pk=wish.structure_id)


@login_required
@require_POST
def wishes_renew(request: HttpRequest, pk: int, structure_pk: int) -> HttpResponse:
    """ "Renew last year's slots": one wish per slot the structure held, skipped if asked for."""
    campaign = _visible_campaign(request, pk)
    structure = _structure_or_refusal(request, structure_pk)
    if isinstance(structure, HttpResponse):
        return structure
    try:
        created = services.wishes_renew(actor=request.user, campaign=campaign, structure=structure)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if created:
            messages.success(
                request,
                ngettext(
                    "%(count)s wish was added from last year's slots: check it.",
                    "%(count)s wishes were added from last year's slots: check them.",
                    len(created),
                )
                % {"count": len(created)},
            )
        else:
            messages.info(
                request, _("No slot of last year to add: they are already asked for, or none fits.")
            )
    return redirect("seasons:apply-campaign", pk=campaign.pk, structure_pk=structure.pk)


# --- After publication: the structure's slots ---


@login_required
@require_GET
def my_slots(request: HttpRequest, pk: int) -> HttpResponse:
    """The published slots of the user's structures in a campaign: the booking series each
    became, how many dates are left and the next one, the structure's calendar feed, and a way
    to give a slot back."""
    campaign = _visible_campaign(request, pk)
    now = timezone.now()
    live = Q(booking__occupancies__active=True)
    assignments = list(
        selectors.assignments_of_structure(request.user, campaign).annotate(
            dates_left=Count(
                "booking__occupancies", filter=live & Q(booking__occupancies__start__gte=now)
            ),
            next_start=Min(
                "booking__occupancies__start", filter=live & Q(booking__occupancies__start__gte=now)
            ),
        )
    )
    structures = {a.wish.structure_id: a.wish.structure for a in assignments}
    feeds = {
        feed.organisation_id: feed_url(feed)
        for feed in calendar_feeds_of(user=request.user).filter(
            scope=CalendarFeed.Scope.ORGANISATION, organisation__in=list(structures)
        )
    }
    return render(
        request,
        "seasons/apply/my_slots.html",
        {
            "campaign": campaign,
            "met": [a for a in assignments if a.booking_id],
            "unmet": [a for a in assignments if a.space_id is None],
            "structures": [
                {"structure": s, "feed": feeds.get(s.pk)}
                for s in sorted(structures.values(), key=lambda s: s.name)
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def slot_give_back(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a published slot back from a date, with a reason: its dates from then on are
    cancelled and freed for hourly bookings (`season_slot_give_back`)."""
    assignment = get_object_or_404(
        PlanAssignment.objects.filter(
            wish__in=selectors.wishes_of_applicant(request.user), booking__isnull=False
        ).select_related("run__campaign", "wish__structure", "option", "space__site", "booking"),
        pk=pk,
    )
    campaign = assignment.run.campaign
    form = GiveBackForm(request.POST or None, initial={"from_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            freed = services.season_slot_give_back(
                assignment=assignment,
                actor=request.user,
                from_date=form.cleaned_data["from_date"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except DecisionNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "The slot is given back: %(count)s date is freed.",
                    "The slot is given back: %(count)s dates are freed.",
                    freed,
                )
                % {"count": freed},
            )
            return redirect("seasons:my-slots", pk=campaign.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "seasons/apply/give_back.html",
        {"assignment": assignment, "campaign": campaign, "form": form},
        status=status,
    )
