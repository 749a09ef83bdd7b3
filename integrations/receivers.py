"""The listener of the lower apps' status changes (`core.signals.status_changed_in_transaction`):
a status change that is an event some endpoint picked becomes deliveries, written in the
change's own transaction (the transactional outbox): they commit with it, or die with it when it
rolls back, and only the sending waits for the commit (`events_record` schedules it with
`job_after_commit`). No process can die between the change and its event any more.

Without an endpoint for the event type it returns before any query (`events.routes_for`), so the
booking request pays nothing for webhooks nobody listens to. When it records, it does so in a
savepoint and logs a failure instead of raising it: the user's change commits without its event
(the rare case) rather than answering a 500 or rolling back. docs/decisions.md.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import models, transaction
from django.dispatch import receiver
from django.utils import timezone

from bookings.models import Allocation, Booking
from calls.models import Call
from core.signals import status_changed_in_transaction
from integrations import events
from integrations.services import events_record
from payments.models import Payment

logger = logging.getLogger(__name__)

Builder = Callable[[int, str, str, datetime], events.Event | None]

# The models whose status changes are events: the event type of each status, and the builder.
EVENTS: dict[type[models.Model], tuple[dict[str, str], Builder]] = {
    Booking: (events.BOOKING_EVENTS, events.booking_event),
    Allocation: (events.AGREEMENT_EVENTS, events.agreement_event),
    Payment: (events.PAYMENT_EVENTS, events.payment_event),
    Call: (events.CALL_EVENTS, events.call_event),
}


def _record(event_type: str, build: Builder, pk: int, from_status: str) -> None:
    routes = events.routes_for(event_type)
    if not routes:
        return
    # A savepoint: a failing query rolls back only the event, and the change's transaction
    # stays usable (PostgreSQL refuses every statement of a transaction after an error).
    with transaction.atomic():
        event = build(pk, event_type, from_status, timezone.now())
        if event is None:
            return
        hearing = events.routes_hearing(event, routes)
        if hearing:
            events_record(event=event, routes=hearing)


@receiver(status_changed_in_transaction, dispatch_uid="integrations_status")
def status_changed(sender, *, pk: int, from_status: str, to_status: str, **kwargs) -> None:
    if sender not in EVENTS:
        return
    types, build = EVENTS[sender]
    event_type = types.get(to_status)
    if event_type is None:
        return
    try:
        _record(event_type, build, pk, from_status)
    except Exception:
        # The change stands without its event; never a 500 or a rolled-back change for it.
        logger.exception("Webhook event %s of %s %s not recorded", event_type, sender.__name__, pk)
