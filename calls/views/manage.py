"""Pages of the calls' managers: draft, grid, publish, close, reviewers, ranking, decisions and
the agreement offered to an accepted applicant."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bookings.exceptions import BookingConflict, InvalidTransition
from calls import selectors, services
from calls.forms import (
    AcceptForm,
    AgreementForm,
    CallForm,
    CriterionFormSet,
    DecideForm,
    RefuseForm,
    ReviewerAssignForm,
    criteria_initial,
)
from calls.models import Application, ApplicationStatus, Call, CallStatus
from core.forms import form_add_service_errors, post_confirmed
from spaces.selectors import site_owners_for, spaces_manageable_by


def _managed_call(request: HttpRequest, pk: int) -> Call:
    return get_object_or_404(selectors.calls_manageable_by(request.user), pk=pk)


def _call_form(request: HttpRequest, call: Call | None) -> CallForm:
    return CallForm(
        request.POST or None,
        initial=None if call is None else selectors.call_terms(call),
        owners=site_owners_for(request.user),
        spaces=spaces_manageable_by(request.user).filter(allocatable=True),
    )


def _refused(request: HttpRequest, exc: ValidationError | InvalidTransition) -> None:
    text = exc.message() if isinstance(exc, InvalidTransition) else " ".join(exc.messages)
    messages.error(request, text)


@login_required
@require_GET
def call_manage_list(request: HttpRequest) -> HttpResponse:
    """The calls the user runs, drafts included."""
    calls = selectors.calls_managed_listing(request.user)
    can_create = site_owners_for(request.user).exists()
    if not can_create and not calls.exists():
        raise Http404
    return render(request, "calls/manage_list.html", {"calls": calls, "can_create": can_create})


@login_required
@require_http_methods(["GET", "POST"])
def call_create(request: HttpRequest) -> HttpResponse:
    if not site_owners_for(request.user).exists():
        raise Http404
    form = _call_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(actor=request.user, **form.terms())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The call is saved as a draft with the default grid: adjust the criteria."),
            )
            return redirect("calls:call-criteria", pk=call.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "calls/call_form.html", {"form": form, "call": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = _managed_call(request, pk)
    if call.status != CallStatus.DRAFT:
        messages.error(request, _("The call was published: it can no longer change."))
        return redirect("calls:call-manage", pk=call.pk)
    form = _call_form(request, call)
    if request.method == "POST" and form.is_valid():
        try:
            services.call_update(call=call, actor=request.user, **form.terms())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The call is saved."))
            return redirect("calls:call-manage", pk=call.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "calls/call_form.html", {"form": form, "call": call}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def call_criteria(request: HttpRequest, pk: int) -> HttpResponse:
    """The selection grid, editable while the call is a draft."""
    call = _managed_call(request, pk)
    if call.status != CallStatus.DRAFT:
        messages.error(request, _("The criteria were published: they can no longer change."))
        return redirect("calls:call-manage", pk=call.pk)
    formset = CriterionFormSet(
        request.POST or None,
        initial=None if request.method == "POST" else criteria_initial(call.criteria.all()),
        prefix="criteria",
    )
    if request.method == "POST" and formset.is_valid():
        try:
            services.criteria_set(call=call, criteria=formset.criteria(), actor=request.user)
        except ValidationError as exc:
            errors = exc.message_dict.get("criteria", exc.messages)
            formset._non_form_errors = formset.error_class(errors)
        else:
            messages.success(request, _("The criteria are saved."))
            return redirect("calls:call-manage", pk=call.pk)
    status = 400 if formset.is_bound and not formset.is_valid() else 200
    if formset.is_bound and formset.non_form_errors():
        status = 400
    return render(
        request, "calls/criteria_form.html", {"call": call, "formset": formset}, status=status
    )


@login_required
@require_GET
def call_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """A manager's page of one call: its status, what to do next, its applications."""
    call = get_object_or_404(
        selectors.call_detail(user=request.user).filter(
            pk__in=selectors.calls_manageable_by(request.user).values("pk")
        ),
        pk=pk,
    )
    context = {
        "call": call,
        "applications": selectors.applications_to_review(call),
        "reviewers": call.reviewers.select_related("reviewer").order_by("reviewer__email"),
        "grid_total": sum(c.weight for c in call.criteria.all()),
        "decide_form": DecideForm(
            initial={
                "deliberation_reference": call.deliberation_reference,
                "deliberation_date": call.deliberation_date,
            }
        ),
        "undecided": call.applications.filter(status=ApplicationStatus.SUBMITTED).count(),
    }
    return render(request, "calls/call_manage.html", context)


@login_required
@require_POST
def call_publish(request: HttpRequest, pk: int) -> HttpResponse:
    call = _managed_call(request, pk)
    try:
        changed = services.call_publish(call=call, actor=request.user)
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
    else:
        if changed:
            messages.success(
                request, _("The call is published; its criteria and weights are now frozen.")
            )
    return redirect("calls:call-manage", pk=call.pk)


@login_required
@require_http_methods(["GET", "POST"])
def call_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Say what closing does (deadline, applications, who is told); close on confirmation."""
    call = _managed_call(request, pk)
    if not post_confirmed(request):
        return render(request, "calls/call_close.html", selectors.call_close_summary(call=call))
    try:
        changed = services.call_close(call=call, actor=request.user)
    except InvalidTransition as exc:
        _refused(request, exc)
    else:
        if changed:
            messages.success(request, _("The call is closed: the committee may now decide."))
    return redirect("calls:call-manage", pk=call.pk)


@login_required
@require_POST
def call_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the deliberation and mark the call decided."""
    call = _managed_call(request, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("calls:call-manage", pk=call.pk)
    try:
        services.call_decide(
            call=call,
            actor=request.user,
            reference=form.cleaned_data["deliberation_reference"],
            decided_on=form.cleaned_data["deliberation_date"],
        )
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The decision is recorded."))
    return redirect("calls:call-manage", pk=call.pk)


@login_required
@require_http_methods(["GET", "POST"])
def call_reviewers(request: HttpRequest, pk: int) -> HttpResponse:
    call = _managed_call(request, pk)
    form = ReviewerAssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.reviewer_assign(call=call, reviewer=form.cleaned_data["email"], actor=request.user)
        messages.success(request, _("The reviewer is assigned to the call."))
        return redirect("calls:call-reviewers", pk=call.pk)
    context = {
        "call": call,
        "form": form,
        "reviewers": call.reviewers.select_related("reviewer").order_by("reviewer__email"),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "calls/reviewers.html", context, status=status)


@login_required
@require_GET
def call_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    """Per lot, the applications that asked for it, by weighted total; ties are flagged."""
    call = _managed_call(request, pk)
    context = {
        "call": call,
        "lots": selectors.call_ranking(call),
        "grid_total": sum(c.weight for c in call.criteria.all()),
        "excluded": call.reviewers.filter(conflict_of_interest=True).select_related("reviewer"),
        "undeclared": call.reviewers.filter(conflict_of_interest__isnull=True).select_related(
            "reviewer"
        ),
    }
    return render(request, "calls/ranking.html", context)


def _decidable(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(
        selectors.applications_decidable_by(request.user).select_related("call"), pk=pk
    )


@login_required
@require_POST
def application_accept(request: HttpRequest, pk: int) -> HttpResponse:
    application = _decidable(request, pk)
    form = AcceptForm(request.POST, lots=application.call.lots.all())
    if not form.is_valid():
        messages.error(request, _("Choose the lot given to the applicant."))
        return redirect(application.get_absolute_url())
    try:
        changed = services.application_accept(
            application=application, actor=request.user, lot=form.cleaned_data["lot"]
        )
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
    else:
        if changed:
            messages.success(request, _("The application is accepted; the applicant is told."))
    return redirect(application.get_absolute_url())


@login_required
@require_POST
def application_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    application = _decidable(request, pk)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Give the reasons of the refusal: they are sent to the applicant.")
        )
        return redirect(application.get_absolute_url())
    try:
        changed = services.application_refuse(
            application=application, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
    else:
        if changed:
            messages.success(
                request, _("The application is refused; the applicant is sent the reasons.")
            )
    return redirect(application.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def application_agreement(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer the occupancy agreement to an accepted applicant, for the lot given."""
    application = get_object_or_404(
        selectors.applications_decidable_by(request.user).select_related(
            "call", "structure", "allocated_lot__space__site__owner", "allocation"
        ),
        pk=pk,
    )
    if application.allocation is not None:
        return redirect(application.allocation.get_absolute_url())
    if application.status != ApplicationStatus.ACCEPTED:
        messages.error(request, _("Only an accepted application leads to an agreement."))
        return redirect(application.get_absolute_url())
    form = AgreementForm(request.POST or None, initial={"start": application.wanted_start})
    clashes = False
    if request.method == "POST" and form.is_valid():
        try:
            allocation = services.application_offer_agreement(
                application=application, actor=request.user, **form.terms()
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc, renames=AgreementForm.SERVICE_FIELDS)
        except BookingConflict as exc:
            clashes = True
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The agreement is offered to the structure."))
            return redirect(allocation.get_absolute_url())
    status = 409 if clashes else (400 if form.is_bound and form.errors else 200)
    return render(
        request,
        "calls/agreement_form.html",
        {"application": application, "form": form},
        status=status,
    )
