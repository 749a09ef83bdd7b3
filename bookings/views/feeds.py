"""Calendar subscriptions: the ICS feed behind a secret URL, and the page that manages them."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bookings import ics, services
from bookings.forms import CalendarFeedForm
from bookings.models import CalendarFeed


@require_http_methods(["GET", "HEAD"])
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed for calendar applications: no login, the secret URL is the credential."""
    feed = ics.calendar_feed_get_active(token=token)
    if feed is None:
        # Unknown, revoked, or its creator lost access: all alike, so a URL reveals nothing.
        raise Http404
    # Calendar servers fetch without our language cookie: the default language, always, so
    # every fetch of a feed gives the same text.
    with translation.override(settings.LANGUAGE_CODE):
        body = ics.feed_ical(feed=feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    # Private: the body is personal data behind a secret URL; shared caches must not keep it.
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="locaux-communs.ics"'
    response["Content-Language"] = settings.LANGUAGE_CODE
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def feed_list(request: HttpRequest) -> HttpResponse:
    """The user's subscriptions with their addresses; create one, revoke one."""
    form = CalendarFeedForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        scope, target = form.choice
        try:
            services.calendar_feed_create(user=request.user, scope=scope, target=target)
        except PermissionDenied:
            form.add_error("target", _("You may not subscribe to this calendar."))
        else:
            messages.success(
                request,
                _("Subscription created: copy its address into your calendar application."),
            )
            return redirect("bookings:feed-list")
    feeds = [
        {"feed": feed, "url": ics.feed_url(feed), "name": ics.feed_target_name(feed)}
        for feed in ics.calendar_feeds_of(user=request.user)
    ]
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/feeds.html", {"form": form, "feeds": feeds}, status=status)


@login_required
@require_POST
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed.objects.filter(created_by=request.user), pk=pk)
    if services.calendar_feed_revoke(feed=feed, user=request.user):
        messages.success(request, _("The subscription is revoked: its address no longer works."))
    else:
        messages.info(request, _("This subscription was already revoked."))
    return redirect("bookings:feed-list")
