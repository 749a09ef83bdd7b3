"""Stripe webhooks, one URL per collecting organisation (each has its own Stripe account)."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Organisation
from payments.exceptions import InvalidWebhook
from payments.services import webhooks as services


@csrf_exempt
@require_POST
# Never inside a request-wide transaction: the 200 must follow the commit, not precede it.
@transaction.non_atomic_requests
def stripe_webhook(request: HttpRequest, owner_pk: int) -> HttpResponse:
    """Verify on the raw body, record once, re-read the intent; 200 only once committed.

    A bad signature, a stale timestamp or a malformed body is a 400 and changes nothing. Any
    other failure (Stripe unreachable, database error) is a 500 after rollback, so Stripe's
    retry finds a clean slate.
    """
    owner = get_object_or_404(Organisation, pk=owner_pk)
    try:
        event = services.webhook_verify(
            owner=owner,
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
    except InvalidWebhook:
        return HttpResponse(status=400)
    services.event_process(owner=owner, event=event)  # committed when it returns
    return HttpResponse(status=200)
