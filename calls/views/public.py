"""The public pages: the list of calls and a call's page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from calls import selectors
from calls.models import ApplicationStatus, Call, CallStatus


@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "calls": selectors.calls_listed(),
        "manages_calls": selectors.calls_manageable_by(user).exists(),
        "reviews_calls": selectors.calls_reviewable_by(user).exists(),
        "has_applications": selectors.applications_of_applicant(user).exists(),
    }
    return render(request, "calls/call_list.html", context)


def _grid(call: Call) -> list[dict]:
    """The binding grid: the published snapshot, or the draft's criteria before publication."""
    if call.status != CallStatus.DRAFT:
        return call.published_criteria
    return [
        {"name": c.name, "weight": c.weight, "description": c.description}
        for c in call.criteria.all()
    ]


@require_GET
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.call_detail(user=request.user), pk=pk)
    structures = selectors.structures_able_to_apply(request.user)
    grid = _grid(call)
    context = {
        "call": call,
        "grid": grid,
        "grid_total": sum(criterion["weight"] for criterion in grid),
        "required_documents": selectors.document_labels(call.required_documents),
        "accepting": selectors.call_accepts_applications(call),
        "can_apply": structures.exists(),
        "my_applications": selectors.applications_of_applicant(request.user)
        .filter(call=call)
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .select_related("structure"),
        "can_manage": selectors.calls_manageable_by(request.user).filter(pk=pk).exists(),
        "assignment": selectors.reviewer_assignment_get(call=call, user=request.user),
    }
    return render(request, "calls/call_detail.html", context)
