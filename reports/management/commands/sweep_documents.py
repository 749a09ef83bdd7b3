from django.core.management.base import BaseCommand

from reports.services import documents_sweep


class Command(BaseCommand):
    help = (
        "Send again the PDF renders that never came and delete the generated documents older "
        "than 7 days with their files (run every few minutes; idempotent)."
    )

    def handle(self, *args, **options) -> None:
        resent, deleted = documents_sweep()
        self.stdout.write(f"{resent} document(s) relancé(s), {deleted} document(s) supprimé(s).")
