from django.core.management.base import BaseCommand

from seasons.services import campaigns_close_due


class Command(BaseCommand):
    help = "Close the season campaigns whose deadline for wishes has passed (hourly; idempotent)."

    def handle(self, *args, **options) -> None:
        count = campaigns_close_due()
        self.stdout.write(f"{count} campagne(s) close(s).")
