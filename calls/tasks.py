"""Periodic jobs of calls for applications, sent by Celery beat (config/schedule.py).

`close_calls` calls the service of the management command of the same name; each call is
closed under its row lock, so two runs at once close it once (docs/architecture.md, "Jobs").
"""

from celery import shared_task

from calls.services import calls_close_past_deadline
from core.periodic import FREQUENT_JOB


@shared_task(name="calls.tasks.close_calls", **FREQUENT_JOB)
def close_calls() -> dict[str, int]:
    """Close the calls whose deadline has passed."""
    return {"closed": calls_close_past_deadline()}
