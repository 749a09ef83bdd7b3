"""Pure rules of accounts: when an expiring document is reminded. No ORM, no I/O."""

from datetime import date

# Reminders before a certificate or an approval expires, in days, largest first.
REMINDER_THRESHOLDS = (30, 7)


def reminder_threshold(*, expires_on: date, today: date) -> int | None:
    """The reminder step due for an expiry date: 30 from 30 days before, 7 from 7 days before.

    None once expired or while more than 30 days away. A job that missed a day still sends the
    step; an item first seen 5 days before its expiry only gets the 7-day reminder.
    """
    days_left = (expires_on - today).days
    if days_left < 0:
        return None
    due = [threshold for threshold in REMINDER_THRESHOLDS if days_left <= threshold]
    return min(due) if due else None
