"""Periodic jobs of payments, sent by Celery beat (config/schedule.py).

Each calls the service of the management command of the same name (kept for operators and cron
users). The jobs that call Stripe before they write (releasing holds, reading intents again)
run under a lock shared by every worker (core.locks): two runs at once would both call Stripe
for the same payment. Invoices and agreement requests need none: a row lock and a unique
constraint make each document and each month's payment once (docs/architecture.md, "Jobs").
"""

from celery import shared_task

from core.locks import job_single_run
from core.periodic import (
    DAILY_JOB,
    DAILY_JOB_LOCK_SECONDS,
    FREQUENT_JOB,
    FREQUENT_JOB_LOCK_SECONDS,
)
from payments.services.agreements import agreement_payment_requests_issue
from payments.services.cards import booking_fees_expire_unpaid
from payments.services.deposits import deposits_release_after_use
from payments.services.documents import invoices_issue_missing
from payments.services.webhooks import payments_reconcile


@shared_task(name="payments.tasks.expire_unpaid_payments", **FREQUENT_JOB)
@job_single_run(timeout=FREQUENT_JOB_LOCK_SECONDS)
def expire_unpaid_payments() -> dict[str, int]:
    """Release the bookings whose pay link passed its deadline unpaid."""
    return {"released": booking_fees_expire_unpaid()}


@shared_task(name="payments.tasks.release_deposits", **DAILY_JOB)
@job_single_run(timeout=DAILY_JOB_LOCK_SECONDS)
def release_deposits() -> dict[str, int]:
    """Release the deposit holds of bookings over without damage, or cancelled."""
    return {"released": deposits_release_after_use()}


@shared_task(name="payments.tasks.reconcile_payments", **DAILY_JOB)
@job_single_run(timeout=DAILY_JOB_LOCK_SECONDS)
def reconcile_payments(days: int = 3) -> dict[str, int]:
    """Read again from Stripe the payments still in progress (missed webhooks)."""
    checked, changed = payments_reconcile(days=days)
    return {"checked": checked, "changed": changed}


@shared_task(name="payments.tasks.issue_missing_invoices", **DAILY_JOB)
def issue_missing_invoices() -> dict[str, int]:
    """Issue the invoices and credit notes whose issuing failed at the time."""
    issued, failed = invoices_issue_missing()
    return {"issued": issued, "failed": failed}


@shared_task(name="payments.tasks.request_agreement_payments", **DAILY_JOB)
def request_agreement_payments() -> dict[str, int]:
    """Request this month's fee of the agreements collected by card (on the 1st)."""
    return {"issued": len(agreement_payment_requests_issue())}
