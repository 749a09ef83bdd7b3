"""Pages where an organisation's administrators register the websites allowed to show its
availability widget, and copy the snippet to paste (the widget itself: bookings.views.widget)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Organisation
from core.forms import form_add_service_errors
from spaces import selectors, services
from spaces.forms import WidgetOriginForm
from spaces.models import WidgetOrigin


def _organisation(request: HttpRequest, pk: int) -> Organisation:
    return get_object_or_404(selectors.widget_organisations_manageable_by(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def widget_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The registered websites, the form to add one, and the snippet to paste."""
    organisation = _organisation(request, pk)
    form = WidgetOriginForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            added = services.widget_origin_add(
                organisation=organisation, origin=form.cleaned_data["origin"], actor=request.user
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(origin)s may now show the widget.") % {"origin": added.origin},
            )
            return redirect("spaces:widget-manage", pk=organisation.pk)
    widget_url = request.build_absolute_uri(
        reverse("bookings:widget-availability", args=[organisation.pk])
    )
    # The unhashed name: the pasted snippet must keep working after the next deployment.
    script_url = request.build_absolute_uri(f"{settings.STATIC_URL}bookings/widget-embed.js")
    title = _("Free spaces — %(name)s") % {"name": organisation.name}
    context = {
        "organisation": organisation,
        "origins": WidgetOrigin.objects.filter(organisation=organisation).order_by("origin"),
        "form": form,
        "widget_url": widget_url,
        "widget_title": title,
        "snippet": widget_snippet(widget_url=widget_url, script_url=script_url, title=title),
    }
    return render(
        request,
        "spaces/widget_manage.html",
        context,
        status=400 if form.is_bound else 200,
    )


def widget_snippet(*, widget_url: str, script_url: str, title: str) -> str:
    """The HTML a website pastes: the frame (titled, for screen readers) and the resizing script.
    Kept to attributes, so that it works under the website's own strict CSP."""
    return format_html(
        '<iframe src="{}" title="{}" width="100%" height="640" loading="lazy"'
        " data-locaux-communs-widget></iframe>\n"
        '<script src="{}" defer></script>',
        widget_url,
        title,
        script_url,
    )


@login_required
@require_POST
def widget_origin_remove(request: HttpRequest, pk: int) -> HttpResponse:
    widget_origin = get_object_or_404(selectors.widget_origins_manageable_by(request.user), pk=pk)
    services.widget_origin_remove(widget_origin=widget_origin, actor=request.user)
    messages.success(
        request, _("%(origin)s may no longer show the widget.") % {"origin": widget_origin.origin}
    )
    return redirect("spaces:widget-manage", pk=widget_origin.organisation_id)
