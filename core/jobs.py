"""Sending a background job after commit, without ever failing the request that sends it.

`job_after_commit(task, …)` queues `task` once the current transaction commits (at once outside
one). If the broker is down, the job is not sent and the failure is logged: the request that
caused it has saved its change and must say so. Every job sent this way must therefore have a
periodic catch-up (the outbox sweep re-sends pending mail; issue_missing_invoices issues missing
documents…), which config/schedule.py runs.
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import KombuError, OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What publishing can raise when the broker is down or refuses: kombu wraps the transport's
# connection errors in OperationalError; redis-py's own errors may surface unwrapped.
PUBLISH_ERRORS = (OperationalError, KombuError, RedisError, OSError)


def job_send(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Send `task` now. Returns False, and logs, if the broker could not take it."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except PUBLISH_ERRORS:
        logger.warning("Job not sent (broker unavailable): %s", task.name, exc_info=True)
        return False
    return True


def job_after_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task` once the current transaction commits; nothing is sent if it rolls back."""
    transaction.on_commit(lambda: job_send(task, *args, **kwargs), robust=True)
