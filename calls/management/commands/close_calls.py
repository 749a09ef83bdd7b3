from django.core.management.base import BaseCommand

from calls.services import calls_close_past_deadline


class Command(BaseCommand):
    help = "Close the calls for applications whose deadline has passed (run hourly; idempotent)."

    def handle(self, *args, **options) -> None:
        count = calls_close_past_deadline()
        self.stdout.write(f"{count} appel(s) clôturé(s).")
