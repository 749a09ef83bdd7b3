"""Deliveries: recorded after the change committed (one row per endpoint and event), sent by a
job, retried with backoff (WEBHOOK_RETRY_DELAYS), swept every minute, replayed by the owner.

Like the mail outbox (core/mail.py), a row is claimed (pending → sending, with a fresh token) by
one conditional UPDATE before it is sent, so two workers never post it both; a worker that dies
while sending leaves a claim that goes stale after WEBHOOK_CLAIM_TIMEOUT and the sweep sends it
again. Delivery is therefore at least once: receivers deduplicate on the event id, which every
attempt and every replay carry unchanged.
"""

import http.client
import json
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from core.jobs import job_after_commit
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

ERROR_MAX_LENGTH = 300
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


def _due(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.WEBHOOK_CLAIM_TIMEOUT)
    return Q(endpoint__paused_at__isnull=True) & (
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stale)
    )


def _claim(pk: int, now: datetime) -> uuid.UUID | None:
    """Take delivery `pk` for sending, counting the attempt; None if not due or taken."""
    token = uuid.uuid4()
    due = WebhookDelivery.objects.filter(_due(now), pk=pk).values("pk")
    taken = WebhookDelivery.objects.filter(pk__in=due).update(
        status=DeliveryStatus.SENDING,
        claim_token=token,
        claimed_at=now,
        last_attempt_at=now,
        attempts=F("attempts") + 1,
    )
    return token if taken == 1 else None


def _short(text: str) -> str:
    return " ".join(text.split())[:ERROR_MAX_LENGTH]


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
        return None, None, _short("Refused address: " + " ".join(error.messages))
    except SEND_ERRORS as error:
        return None, None, _short(f"{type(error).__name__}: {error}")
    if 200 <= answer.status < 300:
        return answer.status, answer.milliseconds, ""
    return answer.status, answer.milliseconds, _short(f"HTTP {answer.status}: {answer.excerpt}")


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


def _send_one(pk: int, now: datetime) -> bool:
    token = _claim(pk, now)
    if token is None:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=pk)
    status, milliseconds, error = _post(delivery)
    done = timezone.now()
    mine = WebhookDelivery.objects.filter(pk=pk, claim_token=token)
    if not error:
        mine.update(
            status=DeliveryStatus.DELIVERED,
            response_status=status,
            response_ms=milliseconds,
            last_error="",
            delivered_at=done,
            next_attempt_at=None,
            claim_token=None,
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).exclude(
            consecutive_failures=0
        ).update(consecutive_failures=0)
        return True
    delays = settings.WEBHOOK_RETRY_DELAYS
    final = delivery.attempts > len(delays)
    mine.update(
        status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
        response_status=status,
        response_ms=milliseconds,
        last_error=error,
        next_attempt_at=None if final else done + timedelta(seconds=delays[delivery.attempts - 1]),
        claim_token=None,
        claimed_at=None,
    )
    _failure_counted(delivery.endpoint)
    return False


def deliveries_send(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Send the deliveries `ids` that are due at `now` (skipping those delivered, failed, not
    yet due, of a paused endpoint or taken by another worker). Returns how many were accepted;
    a failure is recorded on its row (retried later, or failed), never raised."""
    sent = 0
    for pk in sorted(set(ids)):
        sent += _send_one(pk, now or timezone.now())
    return sent


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Send the deliveries due (retries whose time has come, jobs lost with the broker, claims
    of dead workers). Run every minute by beat; safe on several workers. Returns how many were
    accepted."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(_due(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
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
