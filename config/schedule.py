"""The beat schedule, kept in code: every periodic job of the platform and when it runs.

Each entry names a task of an app's `tasks.py`; each task calls the same service as the
management command of the same name (kept for operators and cron users), is idempotent and safe
on two workers at once (docs/architecture.md, "Jobs"). Times are the sites' (Europe/Paris,
CELERY_TIMEZONE). `core.tasks.heartbeat` records that beat and a worker are alive (/healthz).
"""

from celery.schedules import crontab

EVERY_MINUTE = 60.0
EVERY_FIVE_MINUTES = 5 * 60.0


def beat_schedule() -> dict[str, dict]:
    return {
        # Beat → broker → worker → cache: /healthz reads how long ago this last ran.
        "heartbeat": {"task": "core.tasks.heartbeat", "schedule": EVERY_MINUTE},
        # Mail the outbox could not send at once (broker or mail server down at the time).
        "outbox-sweep": {"task": "core.tasks.outbox_sweep", "schedule": EVERY_MINUTE},
        # Booking requests' messages whose job was lost with the broker, or due for a retry.
        "booking-messages-sweep": {
            "task": "bookings.tasks.sweep_booking_messages",
            "schedule": EVERY_MINUTE,
        },
        # Webhook deliveries due for a retry, or whose job was lost with the broker.
        "webhooks-sweep": {"task": "integrations.tasks.webhooks_sweep", "schedule": EVERY_MINUTE},
        "expire-lapsed-bookings": {
            "task": "bookings.tasks.expire_lapsed_bookings",
            "schedule": EVERY_FIVE_MINUTES,
        },
        # Issue 16: offers of freed slots past their time go to the next structure in line.
        "offer-waited-slots": {
            "task": "bookings.tasks.offer_waited_slots",
            "schedule": EVERY_FIVE_MINUTES,
        },
        # Check-in (issue 16): a date not checked in by the end of its grace period (5 to 120
        # minutes) releases the rest of its slot; every 5 minutes, rounded up to the next 5.
        "release-no-shows": {
            "task": "bookings.tasks.release_no_shows",
            "schedule": EVERY_FIVE_MINUTES,
        },
        "expire-unpaid-payments": {
            "task": "payments.tasks.expire_unpaid_payments",
            "schedule": EVERY_FIVE_MINUTES,
        },
        # PDFs asked for whose render never came (broker down at the time), and files > 7 days.
        "sweep-documents": {
            "task": "reports.tasks.sweep_documents",
            "schedule": EVERY_FIVE_MINUTES,
        },
        # Inventory files of a dry run never confirmed (kept a day: spaces.import_views).
        "sweep-import-files": {
            "task": "spaces.tasks.sweep_import_files",
            "schedule": crontab(minute=50),
        },
        "release-deposits": {
            "task": "payments.tasks.release_deposits",
            "schedule": crontab(minute=15),
        },
        "close-calls": {"task": "calls.tasks.close_calls", "schedule": crontab(minute=5)},
        # Season campaigns past their deadline for wishes (issue 17).
        "close-campaigns": {
            "task": "seasons.tasks.close_campaigns",
            "schedule": crontab(minute=7),
        },
        "allocations-daily": {
            "task": "bookings.tasks.allocations_daily",
            "schedule": crontab(hour=0, minute=20),
        },
        "reconcile-payments": {
            "task": "payments.tasks.reconcile_payments",
            "schedule": crontab(hour=2, minute=30),
        },
        "issue-missing-invoices": {
            "task": "payments.tasks.issue_missing_invoices",
            "schedule": crontab(hour=3, minute=0),
        },
        # Personal data past their retention period (accounts.services.retention).
        "apply-retention": {
            "task": "accounts.tasks.apply_retention",
            "schedule": crontab(hour=3, minute=30),
        },
        "send-expiry-reminders": {
            "task": "accounts.tasks.send_expiry_reminders",
            "schedule": crontab(hour=8, minute=0),
        },
        # Hourly: the people who decide hear of a request about two days before it lapses.
        "send-lapse-reminders": {
            "task": "bookings.tasks.send_lapse_reminders",
            "schedule": crontab(minute=40),
        },
        "send-booking-reminders": {
            "task": "bookings.tasks.send_booking_reminders",
            "schedule": crontab(hour=10, minute=0),
        },
        "request-agreement-payments": {
            "task": "payments.tasks.request_agreement_payments",
            "schedule": crontab(day_of_month=1, hour=1, minute=0),
        },
    }
