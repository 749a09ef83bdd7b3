"""The waiting list: structures register their needs; managers see who fits a vacant space."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import structures_allowed_to_request_for
from calls import selectors, services
from calls.forms import WaitingEntryForm
from core.forms import form_add_service_errors
from spaces.selectors import sites_manageable_by


@login_required
@require_GET
def waiting_list(request: HttpRequest) -> HttpResponse:
    """The needs registered by the user's structures, open ones first."""
    entries = (
        selectors.waiting_entries_of(request.user)
        .select_related("structure")
        .prefetch_related("communes")
        .order_by("closed_at", "-created_at")
    )
    context = {
        "entries": entries,
        "can_register": structures_allowed_to_request_for(request.user).exists(),
        "manages_sites": sites_manageable_by(request.user).exists(),
    }
    return render(request, "calls/waiting_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def waiting_create(request: HttpRequest) -> HttpResponse:
    structures = structures_allowed_to_request_for(request.user)
    if not structures.exists():
        raise Http404
    form = WaitingEntryForm(request.POST or None, structures=structures)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.waiting_entry_register(
                actor=request.user,
                structure=data["structure"],
                kind=data["kind"],
                min_surface_m2=data["min_surface_m2"],
                max_surface_m2=data["max_surface_m2"],
                communes=list(data["communes"]),
                wanted_from=data["wanted_from"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your need is on the waiting list."))
            return redirect("calls:waiting-list")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "calls/waiting_form.html", {"form": form}, status=status)


@login_required
@require_POST
def waiting_close(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(selectors.waiting_entries_of(request.user), pk=pk)
    if services.waiting_entry_close(actor=request.user, entry=entry):
        messages.success(request, _("The need was removed from the waiting list."))
    return redirect("calls:waiting-list")


@login_required
@require_GET
def waiting_candidates(request: HttpRequest) -> HttpResponse:
    """For the premises the user manages: each vacant space and the needs it fits."""
    if not sites_manageable_by(request.user).exists():
        raise Http404
    rows = selectors.waiting_list_candidates_for(request.user)
    return render(request, "calls/waiting_candidates.html", {"rows": rows})
