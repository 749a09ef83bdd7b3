from django.core.management.base import BaseCommand

from payments.services.cards import booking_fees_expire_unpaid


class Command(BaseCommand):
    help = (
        "Release the bookings whose payment link passed its deadline unpaid, and their slots "
        "(run every few minutes)."
    )

    def handle(self, *args, **options) -> None:
        count = booking_fees_expire_unpaid()
        self.stdout.write(f"{count} réservation(s) libérée(s) faute de paiement.")
