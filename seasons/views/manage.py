"""Pages of a season's managers: the campaigns they run, a campaign's terms and rules (editable
while a draft), opening and closing it, the plan with its explanations, the arbitration board
(moves, swaps), the committee's decision and publication with its clash report.

Only those who run a campaign (`campaigns_manageable_by`) reach these pages: anyone else gets
404, as the services refuse them. The views shape input and show the services' French errors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import structures_bookable_on_behalf
from bookings.exceptions import InvalidTransition
from core.forms import form_add_service_errors
from seasons import selectors, services
from seasons.exceptions import PlanClashes
from seasons.forms import CampaignForm, DecisionForm, MoveForm, SwapForm, campaign_initial
from seasons.models import Campaign, CampaignStatus, PlanAssignment
from spaces.selectors import site_owners_for, spaces_manageable_by

PLAN_PAGE_SIZE = 50
DECIDED = CampaignStatus.DECIDED


def _managed(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(
        selectors.campaigns_manageable_by(request.user).select_related("owner"), pk=pk
    )


def _refused(request: HttpRequest, exc: ValidationError | InvalidTransition) -> None:
    text = exc.message() if isinstance(exc, InvalidTransition) else " ".join(exc.messages)
    messages.error(request, text)


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> CampaignForm:
    manageable = selectors.campaigns_manageable_by(request.user).order_by("-school_year", "pk")
    if campaign is not None:
        manageable = manageable.exclude(pk=campaign.pk)
    return CampaignForm(
        request.POST or None,
        initial=campaign_initial(campaign) if campaign is not None else None,
        owners=site_owners_for(request.user) if campaign is None else None,
        spaces=spaces_manageable_by(request.user).filter(bookable=True),
        structures=structures_bookable_on_behalf(),
        campaigns=manageable,
    )


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns the user runs, drafts included, and the way to draft a new one."""
    campaigns = selectors.campaigns_managed_listing(request.user)
    can_create = site_owners_for(request.user).exists()
    if not can_create and not campaigns.exists():
        raise Http404
    return render(
        request, "seasons/campaign_list.html", {"campaigns": campaigns, "can_create": can_create}
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not site_owners_for(request.user).exists():
        raise Http404
    form = _campaign_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                actor=request.user, owner=form.cleaned_data["owner"], terms=form.terms()
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The campaign is saved as a draft: check its rules, then open it.")
            )
            return redirect("seasons:campaign-detail", pk=campaign.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "seasons/campaign_form.html", {"form": form, "campaign": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft's terms, spaces and rules; once opened they are frozen."""
    campaign = _managed(request, pk)
    if campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("The campaign is open: its rules are frozen."))
        return redirect("seasons:campaign-detail", pk=campaign.pk)
    form = _campaign_form(request, campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, actor=request.user, terms=form.terms())
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The campaign is saved."))
            return redirect("seasons:campaign-detail", pk=campaign.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "seasons/campaign_form.html", {"form": form, "campaign": campaign}, status=status
    )


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign's status and log, its counts, its rules in words and what to do next."""
    campaign = _managed(request, pk)
    run = selectors.latest_run(campaign)
    context = {
        "campaign": campaign,
        "counts": selectors.campaign_counts(campaign),
        "rules": selectors.rules_lines(campaign),
        "log": campaign.log.select_related("actor").order_by("created_at", "pk"),
        "spaces": campaign.spaces.select_related("space__site"),
        "run": run,
        "decided": DECIDED,
        "decision_form": DecisionForm(),
    }
    return render(request, "seasons/campaign_detail.html", context)


def _change_status(request: HttpRequest, pk: int, change, done: str) -> HttpResponse:
    """Open or close a campaign through its service; say `done` when its status changed."""
    campaign = _managed(request, pk)
    try:
        changed = change(campaign=campaign, actor=request.user)
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
    else:
        if changed:
            messages.success(request, done)
    return redirect("seasons:campaign-detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(
        request,
        pk,
        services.campaign_open,
        _("The campaign is open for wishes; its rules are now frozen."),
    )


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(
        request,
        pk,
        services.campaign_close,
        _("The campaign is closed: its plan may now be made."),
    )


@login_required
@require_POST
def plan_compute(request: HttpRequest, pk: int) -> HttpResponse:
    """Run the optimiser (up to a minute) and show what it met."""
    campaign = _managed(request, pk)
    try:
        run = services.plan_run(campaign=campaign, actor=request.user)
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
        return redirect("seasons:campaign-detail", pk=campaign.pk)
    messages.success(
        request,
        ngettext(
            "The plan is made: %(met)s wish of %(total)s is met.",
            "The plan is made: %(met)s wishes of %(total)s are met.",
            run.met_count,
        )
        % {"met": run.met_count, "total": run.wishes_count},
    )
    return redirect("seasons:plan", pk=campaign.pk)


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@login_required
@require_GET
def plan_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Every wish of the latest run with its explanation, met or not; by structure or space."""
    campaign = _managed(request, pk)
    run = selectors.latest_run(campaign)
    structure, space = _int_param(request, "structure"), _int_param(request, "space")
    context = {"campaign": campaign, "run": run, "structure": structure, "space": space}
    if run is not None:
        rows = selectors.plan_assignments(run, structure=structure, space=space)
        page = Paginator(rows, PLAN_PAGE_SIZE).get_page(request.GET.get("page"))
        query = {k: v for k, v in (("structure", structure), ("space", space)) if v is not None}
        context |= {
            "page": page,
            "query": urlencode(query),
            "structures": selectors.plan_structures(run),
            "spaces": campaign.spaces.select_related("space").order_by("space__name"),
        }
    return render(request, "seasons/plan.html", context)


def _board_context(campaign: Campaign, **extra) -> dict:
    run = selectors.latest_run(campaign)
    placed = (
        PlanAssignment.objects.filter(run=run, space__isnull=False)
        .select_related("wish__structure", "option", "space")
        .order_by("option__weekday", "option__start", "space__name", "pk")
    )
    return {
        "campaign": campaign,
        "run": run,
        "board": selectors.manager_board(campaign),
        "editable": campaign.status == CampaignStatus.PLANNED,
        "swap_form": SwapForm(assignments=placed),
        "decision_form": DecisionForm(),
        "decided": DECIDED,
        **extra,
    }


@login_required
@require_GET
def board_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The arbitration board: per space and weekday the placed slots, the competing wishes,
    the unmet wishes and the forms to move, swap, decide and publish."""
    campaign = _managed(request, pk)
    return render(request, "seasons/board.html", _board_context(campaign))


def _latest_assignments(campaign: Campaign):
    run = selectors.latest_run(campaign)
    if run is None:
        return PlanAssignment.objects.none()
    return PlanAssignment.objects.filter(run=run).select_related(
        "wish__structure", "option", "space"
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Put one wish on another of its choices or in another space, or take it off the plan."""
    campaign = _managed(request, pk)
    assignments = _latest_assignments(campaign)
    raw = request.POST.get("assignment") if request.method == "POST" else request.GET.get("voeu")
    if not (raw or "").isdigit() or len(raw) > 12:
        raise Http404
    assignment = get_object_or_404(assignments, pk=int(raw))
    form = MoveForm(
        request.POST or None,
        initial={"assignment": assignment.pk},
        assignments=assignments.filter(pk=assignment.pk),
        targets=selectors.move_targets(assignment),
    )
    if request.method == "POST" and form.is_valid():
        option_id, space_id = form.option_and_space()
        option = assignment.wish.options.filter(pk=option_id).first() if option_id else None
        link = (
            campaign.spaces.select_related("space").filter(space_id=space_id).first()
            if space_id
            else None
        )
        space = link.space if link is not None else None
        try:
            services.plan_assignment_move(
                assignment=assignment, actor=request.user, option=option, space=space
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("The wish is moved.") if space else _("The wish is taken off the plan."),
            )
            return redirect("seasons:board", pk=campaign.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "campaign": campaign,
        "assignment": assignment,
        "form": form,
        "editable": campaign.status == CampaignStatus.PLANNED,
    }
    return render(request, "seasons/move_form.html", context, status=status)


@login_required
@require_POST
def assignments_swap(request: HttpRequest, pk: int) -> HttpResponse:
    """Two placed wishes exchange their spaces; each keeps its own times."""
    campaign = _managed(request, pk)
    placed = _latest_assignments(campaign).filter(space__isnull=False)
    form = SwapForm(request.POST, assignments=placed)
    if form.is_valid():
        try:
            services.plan_assignments_swap(
                first=form.cleaned_data["first"],
                second=form.cleaned_data["second"],
                actor=request.user,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The two wishes exchanged their spaces."))
            return redirect("seasons:board", pk=campaign.pk)
    return render(
        request, "seasons/board.html", _board_context(campaign, swap_form=form), status=400
    )


@login_required
@require_POST
def campaign_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the committee's decision on the latest plan (date and deliberation number)."""
    campaign = _managed(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_decide(
                campaign=campaign,
                actor=request.user,
                decided_on=form.cleaned_data["decided_on"],
                deliberation_reference=form.cleaned_data["deliberation_reference"],
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except (ValidationError, InvalidTransition) as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("The decision is recorded: the plan may be published."))
            return redirect("seasons:board", pk=campaign.pk)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("seasons:board", pk=campaign.pk)


@login_required
@require_POST
def campaign_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the decided plan: each met wish becomes its structure's weekly series. Any clash
    with what was booked meanwhile stops it all, and the clashes are shown."""
    campaign = _managed(request, pk)
    try:
        report = services.campaign_publish(campaign=campaign, actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    except PlanClashes as exc:
        messages.error(request, " ".join(exc.messages))
        return render(
            request,
            "seasons/board.html",
            _board_context(campaign, clashes=exc.clashes),
            status=409,
        )
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
        return redirect("seasons:board", pk=campaign.pk)
    if report.already:
        messages.info(request, _("The plan was already published."))
    else:
        messages.success(
            request,
            ngettext(
                "The plan is published: %(count)s weekly series is created.",
                "The plan is published: %(count)s weekly series are created.",
                report.series,
            )
            % {"count": report.series},
        )
    return redirect("seasons:campaign-detail", pk=campaign.pk)
