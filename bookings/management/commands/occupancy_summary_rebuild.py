from django.core.management.base import BaseCommand

from bookings.services.occupancy import occupancy_summary_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the observatory's monthly summary (OccupancyMonth) from the Occupancy rows "
        "(idempotent; the Occupancy writer keeps it up to date, this repairs or fills it)."
    )

    def handle(self, *args, **options) -> None:
        count = occupancy_summary_rebuild()
        self.stdout.write(f"{count} ligne(s) de synthèse mensuelle recalculée(s).")
