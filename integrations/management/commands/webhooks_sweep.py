from django.core.management.base import BaseCommand

from integrations.services import deliveries_sweep


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due, retries included (run every minute)."

    def handle(self, *args, **options) -> None:
        count = deliveries_sweep()
        self.stdout.write(f"{count} envoi(s) de webhook traité(s).")
