"""Jobs of integrations: send deliveries after commit, and the sweep of those due."""

from celery import shared_task

from core.periodic import FREQUENT_JOB
from integrations import services


@shared_task(name="integrations.tasks.webhooks_deliver", ignore_result=True, **FREQUENT_JOB)
def webhooks_deliver(ids: list[int]) -> int:
    """Send the deliveries `ids` (sent after the commit that wrote them)."""
    return services.deliveries_send(ids=ids)


@shared_task(name="integrations.tasks.webhooks_sweep", **FREQUENT_JOB)
def webhooks_sweep() -> int:
    """Send the deliveries due (config/schedule.py: every minute)."""
    return services.deliveries_sweep()
