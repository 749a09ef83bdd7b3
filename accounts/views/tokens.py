"""The person's API tokens (issue 14): list, create (the secret shown once), revoke."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ApiTokenForm
from accounts.models import OrganisationKind
from accounts.selectors import (
    api_tokens_of,
    api_tokens_revocable_by,
    organisations_of,
    service_api_tokens_visible_to,
)
from accounts.services.tokens import api_token_create, api_token_revoke
from core.forms import form_add_service_errors


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    organisations = list(organisations_of(request.user).order_by("name", "pk"))
    may_create_service = any(org.kind == OrganisationKind.EPCI for org in organisations)
    form = ApiTokenForm(
        request.POST or None,
        organisations=organisations,
        may_create_service=may_create_service,
    )
    created, secret = None, None
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            created, secret = api_token_create(
                actor=request.user,
                name=values["name"],
                scope=values["scope"],
                organisation=values["organisation"],
                service=values.get("service", False),
                expires_at=timezone.now() + timedelta(days=values["days"]),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc, renames={"expires_at": "days"})
        except PermissionDenied as exc:
            form.add_error("organisation", str(exc) or _("You do not act for this organisation."))
        else:
            form = ApiTokenForm(organisations=organisations, may_create_service=may_create_service)
    context = {
        "form": form,
        "secret": secret,
        "created": created,
        "tokens": api_tokens_of(request.user),
        "service_tokens": service_api_tokens_visible_to(request.user).exclude(user=request.user),
        "now": timezone.now(),
    }
    return render(request, "accounts/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(api_tokens_revocable_by(request.user), pk=pk)
    try:
        revoked = api_token_revoke(actor=request.user, token=token)
    except PermissionDenied as exc:
        raise Http404 from exc
    if revoked:
        messages.success(
            request,
            _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name},
        )
    return redirect("accounts:api-tokens")
