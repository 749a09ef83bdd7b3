from django.core.management.base import BaseCommand

from bookings.services import bookings_send_reminders


class Command(BaseCommand):
    help = "E-mail a reminder the day before each confirmed booking date (run daily; idempotent)."

    def handle(self, *args, **options) -> None:
        count = bookings_send_reminders()
        self.stdout.write(f"{count} rappel(s) envoyé(s).")
