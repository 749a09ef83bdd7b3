"""A webhook delivered by a real Celery worker (a subprocess on Redis, REDIS_DBS["webhooks"])
to a real HTTP server: the booking request commits, its listener records the delivery and
publishes the job, the worker posts the signed event; a refused first attempt is retried by the
sweep that beat would send, with the same event id."""

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from celery import Celery
from django.utils import timezone

from integrations.models import DeliveryStatus, EventType, WebhookDelivery
from tests.factories import PARIS
from tests.integrations.conftest import endpoint_for
from tests.stack import REDIS_DBS, celery_worker, publishing_to, redis_flush, redis_url

DB = REDIS_DBS["webhooks"]
WAIT = 60  # seconds: an upper bound for a worker on a busy machine, never a speed assertion


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Still waiting after {WAIT} s for {what}")
        time.sleep(0.2)


def _next_week_evening() -> tuple[datetime, datetime]:
    day = timezone.localdate() + timedelta(days=8)
    start = datetime(day.year, day.month, day.day, 18, tzinfo=PARIS)
    return start, start + timedelta(hours=2)


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_the_event_and_the_sweep_retries_a_refused_attempt(
    receiver, booker, space
):
    from tests.factories import booking_request_for

    redis_flush(DB)
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    receiver.answers = [503]
    worker_env = {"WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOW_PRIVATE_HOSTS": "true"}
    start, end = _next_week_evening()

    with celery_worker(broker_db=DB, env=worker_env):
        probe = Celery(broker=redis_url(DB), backend=redis_url(DB), set_as_current=False)
        try:
            with publishing_to(redis_url(DB)):
                booking = booking_request_for(
                    space=space, requested_by=booker, start=start, end=end
                )
            _wait_for(lambda: len(receiver.received) == 1, "the first attempt")
            _wait_for(
                lambda: WebhookDelivery.objects.filter(attempts=1, status="pending").exists(),
                "the failure recorded",
            )
            # Beat's sweep, on the worker, once the retry is due (moved forward, not waited).
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
            swept = probe.send_task("integrations.tasks.webhooks_sweep").get(timeout=WAIT)
        finally:
            probe.close()

    delivery = WebhookDelivery.objects.get()
    first, second = receiver.received
    assert swept == 1
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert first.body == second.body
    assert second.payload["data"]["id"] == booking.pk
