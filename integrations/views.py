"""The pages where an organisation's administrators manage its webhooks. Thin: the selectors
fetch (an outsider gets a 404), the services decide and check the actor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import organisations_manageable_by
from core.forms import form_add_service_errors, post_confirmed
from integrations import services
from integrations.forms import EndpointForm
from integrations.models import WebhookEndpoint
from integrations.selectors import (
    deliveries_manageable_by,
    deliveries_of,
    endpoints_manageable_by,
    endpoints_of,
)
from integrations.signing import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER

DELIVERIES_PER_PAGE = 25


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    return get_object_or_404(endpoints_manageable_by(request.user), pk=pk)


def _secret_page(request: HttpRequest, endpoint: WebhookEndpoint, secret: str) -> HttpResponse:
    """The secret, shown once, on the answer to the POST that made it (never in a URL, a
    redirect, the session or a later page); not cached."""
    response = render(
        request,
        "integrations/endpoint_secret.html",
        {
            "endpoint": endpoint,
            "secret": secret,
            "signature_header": SIGNATURE_HEADER,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET"])
def endpoint_list(request: HttpRequest, organisation_pk: int) -> HttpResponse:
    organisation = get_object_or_404(organisations_manageable_by(request.user), pk=organisation_pk)
    context = {
        "organisation": organisation,
        "endpoints": endpoints_of(organisation=organisation, user=request.user),
    }
    return render(request, "integrations/endpoint_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_create(request: HttpRequest, organisation_pk: int) -> HttpResponse:
    organisation = get_object_or_404(organisations_manageable_by(request.user), pk=organisation_pk)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            return _secret_page(request, endpoint, endpoint.secret)
    context = {"organisation": organisation, "form": form}
    return render(request, "integrations/endpoint_form.html", context)


@login_required
@require_http_methods(["GET"])
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    page = Paginator(deliveries_of(endpoint=endpoint), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "endpoint": endpoint,
        "organisation": endpoint.organisation,
        "page": page,
        "headers": [SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER],
    }
    return render(request, "integrations/endpoint_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The webhook was saved."))
            return redirect(endpoint)
    context = {"organisation": endpoint.organisation, "endpoint": endpoint, "form": form}
    return render(request, "integrations/endpoint_form.html", context)


@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    secret = services.endpoint_secret_rotate(actor=request.user, endpoint=endpoint)
    return _secret_page(request, endpoint, secret)


@login_required
@require_POST
def endpoint_pause(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if services.endpoint_pause(actor=request.user, endpoint=endpoint):
        # fr: Les envois sont suspendus : les événements sont conservés.
        messages.success(request, _("Deliveries are paused: events are kept."))
    return redirect(endpoint)


@login_required
@require_POST
def endpoint_resume(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if services.endpoint_resume(actor=request.user, endpoint=endpoint):
        # fr: Les envois reprennent, en commençant par les événements en attente.
        messages.success(request, _("Deliveries resume, starting with the waiting events."))
    return redirect(endpoint)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if post_confirmed(request):
        organisation_pk = endpoint.organisation_id
        services.endpoint_delete(actor=request.user, endpoint=endpoint)
        messages.success(request, _("The webhook was deleted."))
        return redirect("integrations:endpoint-list", organisation_pk=organisation_pk)
    return render(request, "integrations/endpoint_delete.html", {"endpoint": endpoint})


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(deliveries_manageable_by(request.user), pk=pk)
    try:
        services.delivery_replay(actor=request.user, delivery=delivery)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:  # pragma: no cover - the selector already scoped it
        raise Http404 from error
    else:
        # fr: L'événement sera envoyé de nouveau, avec le même identifiant.
        messages.success(request, _("The event will be sent again, with the same id."))
    return redirect(delivery.endpoint)
