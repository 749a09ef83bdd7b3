"""A structure's members: changing a role, removing a member, leaving, and the
intercommunality erasing a structure's data on request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.selectors import (
    memberships_manageable_by,
    organisations_erasable_by,
    organisations_of,
)


def _refusal(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def membership_role(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = get_object_or_404(
        memberships_manageable_by(request.user), pk=membership_pk, organisation_id=pk
    )
    try:
        changed = services.membership_role_set(
            membership=membership, role=request.POST.get("role", ""), actor=request.user
        )
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        if changed:
            messages.success(
                request, _("The role of %(name)s was changed.") % {"name": membership.user}
            )
    return redirect("accounts:structure-detail", pk=pk)


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = get_object_or_404(
        memberships_manageable_by(request.user), pk=membership_pk, organisation_id=pk
    )
    leaving = membership.user_id == request.user.pk
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except ValidationError as exc:
        _refusal(request, exc)
        return redirect("accounts:structure-detail", pk=pk)
    if leaving:
        messages.success(request, _("You left %(name)s.") % {"name": membership.organisation})
        return redirect("accounts:profile")
    messages.success(request, _("%(name)s was removed.") % {"name": membership.user})
    return redirect("accounts:structure-detail", pk=pk)


@login_required
@require_POST
def structure_leave(request: HttpRequest, pk: int) -> HttpResponse:
    structure = get_object_or_404(organisations_of(request.user), pk=pk)
    try:
        services.membership_leave(organisation=structure, actor=request.user)
    except ValidationError as exc:
        _refusal(request, exc)
        return redirect("accounts:structure-detail", pk=pk)
    messages.success(request, _("You left %(name)s.") % {"name": structure.name})
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def structure_erase(request: HttpRequest, pk: int) -> HttpResponse:
    structure = get_object_or_404(organisations_erasable_by(request.user), pk=pk)
    if structure.is_erased:
        raise Http404
    if request.method == "POST":
        try:
            services.structure_erase(organisation=structure, actor=request.user)
        except ValidationError as exc:
            _refusal(request, exc)
        else:
            messages.success(
                request, _("The data of %(name)s were erased.") % {"name": structure.name}
            )
        return redirect("accounts:structure-detail", pk=pk)
    return render(request, "accounts/structure_erase.html", {"structure": structure})
