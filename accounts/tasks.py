"""Periodic jobs of accounts, sent by Celery beat (config/schedule.py).

`send_expiry_reminders` calls the service of the management command of the same name; each
reminder is claimed by inserting its unique `ReminderSent` row, so two runs at once send it once;
`apply_retention` deletes by conditions on age, and erases each abandoned account under its row
lock, so a second run finds nothing left (docs/architecture.md, "Jobs").
"""

from celery import shared_task

from accounts.reminders import expiry_reminders_send
from accounts.services.retention import retention_apply
from core.periodic import DAILY_JOB


@shared_task(name="accounts.tasks.send_expiry_reminders", **DAILY_JOB)
def send_expiry_reminders() -> dict[str, int]:
    """Remind structures 30 and 7 days before their documents expire."""
    return {"sent": expiry_reminders_send()}


@shared_task(name="accounts.tasks.apply_retention", **DAILY_JOB)
def apply_retention() -> dict[str, int]:
    """Delete or erase the personal data past their retention period."""
    return retention_apply()
