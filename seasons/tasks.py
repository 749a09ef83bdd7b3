"""Periodic jobs of the season, sent by Celery beat (config/schedule.py).

`close_campaigns` calls the service of the management command of the same name; each campaign
is closed under its row lock, so two runs at once close it once (docs/architecture.md, "Jobs").
"""

from celery import shared_task

from core.periodic import FREQUENT_JOB
from seasons.services import campaigns_close_due


@shared_task(name="seasons.tasks.close_campaigns", **FREQUENT_JOB)
def close_campaigns() -> dict[str, int]:
    """Close the campaigns whose deadline for wishes has passed."""
    return {"closed": campaigns_close_due()}
