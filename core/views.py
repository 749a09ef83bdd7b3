"""Kernel views: the health probe of load balancers and monitoring (it reads no app)."""

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.mail import OutboxHealth, outbox_health

HEALTHZ_STATEMENT_TIMEOUT_MS = 2000


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database status for load balancers and monitoring.

    A database that accepts connections and never answers gives a 503 within the connect
    timeout (settings), and a stuck one within HEALTHZ_STATEMENT_TIMEOUT_MS: a probe must
    answer faster than the load balancer gives up.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Local to this transaction: a kept connection gets its usual timeout back.
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)",
                    [str(HEALTHZ_STATEMENT_TIMEOUT_MS)],
                )
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse(
        {"status": "ok", "database": "ok", "vendor": connection.vendor, "mail": healthz_mail()}
    )


def healthz_mail() -> OutboxHealth | str:
    """The mail outbox's detail: failed or long-pending mail is reported, never a 503 (the site
    still serves; the intercommunality retries from the admin)."""
    try:
        return outbox_health()
    except DatabaseError:
        return "unavailable"
