"""Deliveries: recorded after the change committed (one row per endpoint and event), sent by a
job, retried with backoff (WEBHOOK_RETRY_DELAYS), swept every minute, replayed by the owner.

The queue is the kernel's (core/queue.py), like the mail outbox's: a row is claimed (pending →
sending, with a fresh token) by one conditional UPDATE before it is sent, so two workers never
post it both; a worker that dies while sending leaves a claim that goes stale after
WEBHOOK_CLAIM_TIMEOUT and the sweep sends it again. Delivery is therefore at least once:
receivers deduplicate on the event id, which every attempt and every replay carry unchanged.
What is the deliveries' own: the signed POST, the endpoint paused after repeated failures (its
deliveries are not taken), the replay.
"""

import http.client
import json
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from core.jobs import job_after_commit
from core.queue import (
    QueuePolicy,
    queue_claim,
    queue_error_text,
    queue_mark_done,
    queue_mark_failed_attempt,
    queue_sweep,
)
from integrations import client
from integrations.events import Event, Route
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from integrations.notifications import endpoint_paused_notify
from integrations.services.endpoints import _check_manager
from integrations.signing import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
SEND_ERRORS = (OSError, http.client.HTTPException, ValidationError)


def _deliver_after_commit(ids: list[int]) -> None:
    from integrations.tasks import webhooks_deliver  # tasks imports the services

    if ids:
        job_after_commit(webhooks_deliver, ids)


def events_record(*, event: Event, routes: Sequence[Route]) -> list[int]:
    """Write a delivery of `event` for each of `routes` (their organisations may see its object:
    `events.routes_hearing` chose them) and send them after commit. Run by the platform, from
    the listeners of the lower apps' signals; returns the rows' ids."""
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event.type,
        "created": event.created.isoformat(),
        "data": event.data,
    }
    now = timezone.now()
    paused = set(
        WebhookEndpoint.objects.filter(
            pk__in=[route.endpoint_id for route in routes], paused_at__isnull=False
        ).values_list("pk", flat=True)
    )
    with transaction.atomic():
        rows = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint_id=route.endpoint_id,
                event_id=event_id,
                event_type=event.type,
                payload=payload,
                # A paused endpoint's deliveries wait for its resumption (no attempt time).
                next_attempt_at=None if route.endpoint_id in paused else now,
            )
            for route in routes
        )
        ids = [row.pk for row in rows if row.endpoint_id not in paused]
        _deliver_after_commit(ids)
    return [row.pk for row in rows]


def _policy() -> QueuePolicy:
    return QueuePolicy(
        claim_timeout=settings.WEBHOOK_CLAIM_TIMEOUT,
        retry_delays=tuple(settings.WEBHOOK_RETRY_DELAYS),
    )


def _queue() -> QuerySet[WebhookDelivery]:
    """The deliveries that may go: not of a paused endpoint. A subquery, not a join, so that
    the claim's UPDATE stays a conditional UPDATE of the row (core.queue.queue_claim)."""
    return WebhookDelivery.objects.filter(
        endpoint__in=WebhookEndpoint.objects.filter(paused_at__isnull=True)
    )


def _body(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _post(delivery: WebhookDelivery) -> tuple[int | None, int | None, str]:
    """Post `delivery`; (status, milliseconds, error) with error "" for a 2xx answer."""
    endpoint = delivery.endpoint
    body = _body(delivery.payload)
    headers = {
        SIGNATURE_HEADER: signature_header(
            secret=endpoint.secret, timestamp=int(time.time()), body=body
        ),
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_TYPE_HEADER: delivery.event_type,
    }
    try:
        answer = client.post(
            url=endpoint.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT
        )
    except ValidationError as error:  # the address now resolves to a refused network
        return None, None, queue_error_text("Refused address: " + " ".join(error.messages))
    except SEND_ERRORS as error:
        return None, None, queue_error_text(error)
    if 200 <= answer.status < 300:
        return answer.status, answer.milliseconds, ""
    return (
        answer.status,
        answer.milliseconds,
        queue_error_text(f"HTTP {answer.status}: {answer.excerpt}"),
    )


def _failure_counted(endpoint: WebhookEndpoint) -> None:
    """One more consecutive failure of `endpoint`; at WEBHOOK_PAUSE_AFTER it is paused and its
    administrators told (once: only the update that pauses it mails)."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        paused = WebhookEndpoint.objects.filter(
            pk=endpoint.pk,
            paused_at__isnull=True,
            consecutive_failures__gte=settings.WEBHOOK_PAUSE_AFTER,
        ).update(paused_at=timezone.now())
        if paused:
            endpoint.refresh_from_db()
            endpoint_paused_notify(endpoint)
            logger.warning("Webhook endpoint %s paused after repeated failures", endpoint.pk)


def _send_one(pk: int, now: datetime, policy: QueuePolicy) -> bool:
    # The attempt's time is kept on the row (last_attempt_at) besides the claim's.
    token = queue_claim(_queue(), pk, policy=policy, now=now, last_attempt_at=now)
    if token is None:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=pk)
    status, milliseconds, error = _post(delivery)
    done = timezone.now()
    answer = {"response_status": status, "response_ms": milliseconds}
    if not error:
        queue_mark_done(
            WebhookDelivery.objects,
            pk,
            token,
            status=DeliveryStatus.DELIVERED,
            delivered_at=done,
            next_attempt_at=None,
            **answer,
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).exclude(
            consecutive_failures=0
        ).update(consecutive_failures=0)
        return True
    queue_mark_failed_attempt(
        WebhookDelivery.objects,
        pk,
        token,
        attempts=delivery.attempts,
        error=error,
        policy=policy,
        now=done,
        **answer,
    )
    _failure_counted(delivery.endpoint)
    return False


def deliveries_send(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Send the deliveries `ids` that are due at `now` (skipping those delivered, failed, not
    yet due, of a paused endpoint or taken by another worker). Returns how many were accepted;
    a failure is recorded on its row (retried later, or failed), never raised."""
    policy = _policy()
    sent = 0
    for pk in sorted(set(ids)):
        sent += _send_one(pk, now or timezone.now(), policy)
    return sent


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Send the deliveries due (retries whose time has come, jobs lost with the broker, claims
    of dead workers). Run every minute by beat; safe on several workers. Returns how many were
    accepted."""
    now = now or timezone.now()
    ids = queue_sweep(_queue(), policy=_policy(), now=now, batch=SWEEP_BATCH)
    return deliveries_send(ids=ids, now=now) if ids else 0


def delivery_replay(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send `delivery`'s event again, as a new row of the log with the same event id and
    payload (a receiver that had it already ignores it). PermissionDenied unless `actor`
    administers the endpoint's organisation."""
    _check_manager(actor, delivery.endpoint.organisation_id)
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        # fr: Cet envoi est déjà en attente ou en cours.
        raise ValidationError(_("This delivery is already waiting or under way."))
    paused = delivery.endpoint.paused_at is not None
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            payload=delivery.payload,
            next_attempt_at=None if paused else timezone.now(),
        )
        if not paused:
            _deliver_after_commit([replay.pk])
    return replay
