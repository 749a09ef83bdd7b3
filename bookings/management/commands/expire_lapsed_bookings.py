from django.core.management.base import BaseCommand

from bookings.services import bookings_expire_lapsed


class Command(BaseCommand):
    help = "Lapse the booking requests nobody decided in time (run every few minutes)."

    def handle(self, *args, **options) -> None:
        count = bookings_expire_lapsed()
        self.stdout.write(f"{count} demande(s) expirée(s).")
