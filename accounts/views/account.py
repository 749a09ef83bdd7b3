"""The person's own pages: profile, notifications list, unsubscribing from a reminder."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import ProfileForm
from accounts.messaging import OPTIONAL_TOPICS, unsubscribe_read
from accounts.selectors import notifications_of
from core.forms import form_add_service_errors
from core.ratelimit import rate_limited

NOTIFICATIONS_PER_PAGE = 30


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_profile_update(user=form.instance, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            # The pages follow the language chosen, from the next one on.
            translation.activate(user.language)
            response = redirect("accounts:profile")
            response.set_cookie(
                "django_language", user.language, samesite="Lax", secure=request.is_secure()
            )
            messages.success(request, _("Your profile was saved."))
            return response
    else:
        # The instance is the signed-in user: a refused form must not leave it half-changed.
        request.user.refresh_from_db()
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_of(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(notifications_of(request.user), pk=pk)
    services.notifications_mark_read(actor=request.user, ids=[notification.pk])
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("accounts:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(actor=request.user)
    if count:
        messages.success(request, _("All your notifications are marked read."))
    return redirect("accounts:notifications")


@csrf_exempt  # RFC 8058: mail clients POST the one-click link; the signed token is the credential
@rate_limited("unsubscribe", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=404)
    topic_label = OPTIONAL_TOPICS[found[1]]
    if request.method == "POST":
        done = services.topic_unsubscribe(token=token)
        if done is None:
            return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=404)
        return render(request, "accounts/unsubscribe.html", {"done": True, "topic": topic_label})
    return render(request, "accounts/unsubscribe.html", {"topic": topic_label})
