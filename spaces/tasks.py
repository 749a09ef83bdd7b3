"""Jobs of spaces: the periodic sweep of inventory files never confirmed (config/schedule.py),
which calls the service of the command of the same name."""

from celery import shared_task

from core.periodic import FREQUENT_JOB
from spaces import services


@shared_task(name="spaces.tasks.sweep_import_files", **FREQUENT_JOB)
def sweep_import_files() -> int:
    """Delete the import files kept for a confirmation for more than a day."""
    return services.import_files_sweep()
