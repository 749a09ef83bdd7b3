"""Kernel tasks: the heartbeat that tells /healthz beat and a worker are alive, and the mail
outbox (core/mail.py)."""

import time

from celery import shared_task
from django.core.cache import cache

from core import mail
from core.periodic import FREQUENT_JOB

# Beat sends `heartbeat` every minute (config/schedule.py); a worker runs it and records when.
HEARTBEAT_KEY = "core:heartbeat"


@shared_task(name="core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> float:
    """Record that a worker ran a task sent by beat (the time, in seconds since the epoch)."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


@shared_task(name="core.tasks.outbox_deliver", ignore_result=True, **FREQUENT_JOB)
def outbox_deliver(ids: list[int]) -> int:
    """Send the outbox rows `ids` (sent after the commit that wrote them)."""
    return mail.outbox_deliver(ids=ids)


@shared_task(name="core.tasks.outbox_sweep", **FREQUENT_JOB)
def outbox_sweep() -> int:
    """Send the outbox rows that are due (config/schedule.py: every minute)."""
    return mail.outbox_sweep()
