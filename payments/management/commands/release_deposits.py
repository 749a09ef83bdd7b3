from django.core.management.base import BaseCommand

from payments.services.deposits import deposits_release_after_use


class Command(BaseCommand):
    help = (
        "Release the deposit holds of bookings over for 48 hours without damage reported, "
        "or cancelled (run every hour)."
    )

    def handle(self, *args: object, **options: object) -> None:
        count = deposits_release_after_use()
        self.stdout.write(f"{count} dépôt(s) de garantie libéré(s).")
