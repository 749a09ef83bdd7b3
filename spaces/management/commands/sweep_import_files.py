from django.core.management.base import BaseCommand

from spaces.services import import_files_sweep


class Command(BaseCommand):
    help = (
        "Delete the inventory files kept for an import confirmation that never came (older "
        "than 24 hours; run hourly; idempotent)."
    )

    def handle(self, *args, **options) -> None:
        deleted = import_files_sweep()
        self.stdout.write(f"{deleted} fichier(s) d'import supprimé(s).")
