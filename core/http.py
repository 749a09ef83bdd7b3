"""Refusals answered before or around a view: JSON with a French `detail` under /api/, a page
elsewhere. One place, so the login lockout, the form rate limits and the body cap say it alike."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    """429 with Retry-After (seconds) and a French message."""
    minutes = max(1, (retry_after + 59) // 60)
    message = ngettext(
        "Too many attempts. Please try again in %(minutes)d minute.",
        "Too many attempts. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = _refusal(request, 429, _("Too many attempts"), message)
    response["Retry-After"] = str(retry_after)
    return response


def payload_too_large(request: HttpRequest, *, limit: int) -> HttpResponse:
    """413: the body is larger than `limit` bytes (it was not read)."""
    message = _("The data sent is too large (at most %(size)s MB).") % {
        "size": f"{round(limit / (1024 * 1024), 1):g}"
    }
    # The body stays unread; closing the connection is the server's business (WSGI forbids
    # hop-by-hop headers such as Connection in an application's answer).
    return _refusal(request, 413, _("Data too large"), message)


def storage_unavailable(request: HttpRequest) -> HttpResponse:
    """503: the file storage (disk or bucket) refused or did not answer; nothing is lost."""
    message = _(
        "The file storage does not answer at the moment. Please try again in a few minutes."
    )
    return _refusal(request, 503, _("File unavailable"), message)


def _refusal(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "core/refusal.html", {"title": title, "message": message}, status=status)
