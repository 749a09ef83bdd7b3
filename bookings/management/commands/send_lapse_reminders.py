from django.core.management.base import BaseCommand

from bookings.services import bookings_send_lapse_reminders


class Command(BaseCommand):
    help = (
        "Remind the people who decide of each pending request about to lapse "
        "(run hourly; idempotent)."
    )

    def handle(self, *args, **options) -> None:
        count = bookings_send_lapse_reminders()
        self.stdout.write(f"{count} demande(s) rappelée(s).")
