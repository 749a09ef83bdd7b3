"""Kernel tasks: the heartbeat that tells /healthz beat and a worker are alive."""

import time

from celery import shared_task
from django.core.cache import cache

# Beat sends `heartbeat` every minute (config/schedule.py); a worker runs it and records when.
HEARTBEAT_KEY = "core:heartbeat"


@shared_task(name="core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> float:
    """Record that a worker ran a task sent by beat (the time, in seconds since the epoch)."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now
