from django.core.management.base import BaseCommand

from bookings.services import bookings_release_no_shows


class Command(BaseCommand):
    help = (
        "Release the rest of the slot of the dates nobody checked in by the end of their grace "
        "period, and record the no-shows (run every few minutes)."
    )

    def handle(self, *args, **options) -> None:
        count = bookings_release_no_shows()
        self.stdout.write(f"{count} absence(s) enregistrée(s).")
