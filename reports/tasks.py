"""Jobs of reports: rendering a requested document, and the periodic sweep of documents
(config/schedule.py), which calls the service of the command of the same name."""

from celery import shared_task

from core.periodic import FREQUENT_JOB
from reports import services


@shared_task(name="reports.tasks.document_render", ignore_result=True, **FREQUENT_JOB)
def document_render(document_pk: int) -> str:
    """Render a requested document (idempotent: a document already rendered is left alone)."""
    return services.document_render(document_pk=document_pk)


@shared_task(name="reports.tasks.sweep_documents", **FREQUENT_JOB)
def sweep_documents() -> dict[str, int]:
    """Send again the renders that never came; delete the documents older than a week."""
    resent, deleted = services.documents_sweep()
    return {"resent": resent, "deleted": deleted}
