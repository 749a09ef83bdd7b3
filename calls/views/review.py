"""Pages of the reviewers: their calls, the conflict-of-interest declaration, the scoring."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calls import selectors, services
from calls.forms import DeclarationForm, ScoreForm
from calls.models import ApplicationStatus, Score
from calls.views.apply import summary_context
from core.forms import form_add_service_errors


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """The calls the user is assigned to review, with their declaration."""
    assignments = (
        request.user.review_assignments.filter(
            call__in=selectors.calls_reviewable_by(request.user).values("pk")
        )
        .select_related("call")
        .order_by("-call__published_at", "-pk")
    )
    return render(request, "calls/review_list.html", {"assignments": assignments})


def _review_page(request: HttpRequest, pk: int, form: DeclarationForm, status: int = 200):
    call = get_object_or_404(selectors.calls_reviewable_by(request.user), pk=pk)
    assignment = selectors.reviewer_assignment_get(call=call, user=request.user)
    applications = selectors.applications_to_review(call)
    scored = {}
    if assignment.may_score:
        for application_id in Score.objects.filter(
            reviewer=request.user, application__call=call
        ).values_list("application_id", flat=True):
            scored[application_id] = scored.get(application_id, 0) + 1
    context = {
        "call": call,
        "assignment": assignment,
        "form": form,
        "applications": [
            {"application": application, "scored": scored.get(application.pk, 0)}
            for application in applications
        ],
        "criteria_count": call.criteria.count(),
    }
    return render(request, "calls/review_call.html", context, status=status)


@login_required
@require_GET
def review_call(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare (no) conflict of interest first; then score the applications one by one."""
    return _review_page(request, pk, DeclarationForm())


@login_required
@require_POST
def review_declare(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.calls_reviewable_by(request.user), pk=pk)
    assignment = selectors.reviewer_assignment_get(call=call, user=request.user)
    form = DeclarationForm(request.POST)
    if form.is_valid():
        try:
            services.reviewer_declare(
                assignment=assignment,
                actor=request.user,
                conflict_of_interest=form.has_conflict,
                note=form.cleaned_data["conflict_note"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if form.has_conflict:
                messages.info(
                    request,
                    _("Your conflict of interest is recorded: you are excluded from scoring."),
                )
            else:
                messages.success(request, _("Your declaration is recorded: you may score."))
            return redirect("calls:review-call", pk=call.pk)
    return _review_page(request, pk, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def review_application(request: HttpRequest, pk: int) -> HttpResponse:
    """Score each criterion of the call from 0 to 10, with a comment."""
    application = get_object_or_404(
        selectors.applications_reviewable_by(request.user).select_related("call", "structure"),
        pk=pk,
    )
    call = application.call
    assignment = selectors.reviewer_assignment_get(call=call, user=request.user)
    if not assignment.may_score:
        if assignment.conflict_of_interest:
            messages.error(
                request, _("You declared a conflict of interest: you are excluded from scoring.")
            )
        else:
            messages.error(request, _("Declare first whether you have a conflict of interest."))
        return redirect("calls:review-call", pk=call.pk)
    form = ScoreForm(
        request.POST or None,
        criteria=list(call.criteria.order_by("position", "pk")),
        scores=selectors.scores_given(application=application, reviewer=request.user),
    )
    open_for_scoring = application.status == ApplicationStatus.SUBMITTED
    if request.method == "POST" and form.is_valid():
        try:
            services.scores_record(
                application=application, reviewer=request.user, marks=form.marks()
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your marks for %(structure)s are saved.")
                % {"structure": application.structure.name},
            )
            return redirect("calls:review-call", pk=call.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "application": application,
        "call": call,
        "form": form,
        "open_for_scoring": open_for_scoring,
        **summary_context(request, application),
    }
    return render(request, "calls/review_application.html", context, status=status)
