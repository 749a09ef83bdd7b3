"""The availability widget: a page that a commune's (or any owner's) website shows in a frame.

Public and anonymous by design: it lists what the catalogue shows to a visitor who has not
signed in (free or busy, never who booked), whatever session the browser carries, and only the
websites the organisation registered may frame it (`frame-ancestors`, docs/widget.md).
"""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from bookings import selectors
from bookings.forms import WidgetSearchForm
from core.middleware import content_security_policy
from core.ratelimit import rate_limited
from spaces.selectors import widget_organisations, widget_origins_of, widget_spaces_q


@require_GET
@rate_limited("widget", methods=("GET",))
@xframe_options_exempt  # the CSP's frame-ancestors below decides who may frame it
def widget_availability(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation's spaces free for a slot (tomorrow afternoon until one is chosen), each
    with a link to book it on the platform. An invalid search is answered 400, with the form."""
    organisation = get_object_or_404(widget_organisations(), pk=pk)
    form = WidgetSearchForm(request.GET or None)
    if not form.is_bound:
        data = QueryDict(mutable=True)
        data.update(form.initial_data())
        form = WidgetSearchForm(data)
    results, slot_query = None, ""
    if form.is_valid():
        free = selectors.spaces_available(user=AnonymousUser(), period=form.period).filter(
            widget_spaces_q(organisation)
        )
        free = free.prefetch_related(None)  # no photos nor equipment in the widget
        if form.cleaned_data["capacity"]:
            free = free.filter(capacity__gte=form.cleaned_data["capacity"])
        results = list(free)
        data = form.cleaned_data
        slot_query = (
            f"date={data['date']:%Y-%m-%d}&start_time={data['start_time']:%H:%M}"
            f"&end_time={data['end_time']:%H:%M}"
        )
    context = {
        "organisation": organisation,
        "form": form,
        "results": results,
        "slot_query": slot_query,
    }
    response = render(
        request, "bookings/widget.html", context, status=200 if form.is_valid() else 400
    )
    response.headers["Content-Security-Policy"] = content_security_policy(
        frame_ancestors=["'self'", *widget_origins_of(organisation)]
    )
    return response
