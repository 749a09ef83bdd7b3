"""An application's conversation on its page: the messages, and the form to write one (HTML)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from calls import selectors, services
from calls.forms import ApplicationCommentForm
from calls.models import Application
from calls.permissions import application_comment_side
from core.forms import form_add_service_errors


def comments_context(application: Application, form: ApplicationCommentForm | None = None) -> dict:
    """What the application's page shows of its conversation (partials/_conversation.html):
    one query for the messages and their authors. Call it only for a reader who stands on a
    side (calls.permissions.application_comment_side)."""
    return {
        "comments": list(selectors.application_comments(application=application)),
        "comment_form": form or ApplicationCommentForm(),
    }


@login_required
@require_POST
def application_comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a message on the application; back to its conversation, or the form and its
    errors on a page of their own (400). A reviewer who does not decide, and anyone on
    neither side, gets 404."""
    application = get_object_or_404(
        selectors.applications_visible_to(request.user).select_related("call", "structure"),
        pk=pk,
    )
    try:  # a reviewer sees the application without standing on a side of it
        application_comment_side(actor=request.user, application=application)
    except PermissionDenied as exc:
        raise Http404 from exc
    form = ApplicationCommentForm(request.POST)
    if form.is_valid():
        try:
            services.application_comment_post(
                application=application, actor=request.user, body=form.cleaned_data["body"]
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your message is sent; the other side is told by e-mail."))
            return redirect(application.get_absolute_url() + "#messages")
    context = {"application": application, **comments_context(application, form)}
    return render(request, "calls/application_comment_form.html", context, status=400)
