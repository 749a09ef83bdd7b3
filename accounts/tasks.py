"""Periodic jobs of accounts, sent by Celery beat (config/schedule.py).

`send_expiry_reminders` calls the service of the management command of the same name; each
reminder is claimed by inserting its unique `ReminderSent` row, so two runs at once send it once
(docs/architecture.md, "Jobs").
"""

from celery import shared_task

from accounts.reminders import expiry_reminders_send
from core.periodic import DAILY_JOB


@shared_task(name="accounts.tasks.send_expiry_reminders", **DAILY_JOB)
def send_expiry_reminders() -> dict[str, int]:
    """Remind structures 30 and 7 days before their documents expire."""
    return {"sent": expiry_reminders_send()}
