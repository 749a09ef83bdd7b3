"""Kernel views: the health probe of load balancers and monitoring (it reads no app)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import CHECKS, health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, else 503 with the failed ones named in `failed`.

    `?only=database,cache` runs only those checks: a load balancer should not take every app
    server out of rotation because the worker is late, which only monitoring needs to know.
    """
    names = None
    if "only" in request.GET:
        known = {name for name, _ in CHECKS}
        names = {name for name in request.GET["only"].split(",") if name in known} or known
    healthy, body = health_report(names)
    return JsonResponse(body, status=200 if healthy else 503)
