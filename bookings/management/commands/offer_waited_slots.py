from django.core.management.base import BaseCommand

from bookings.services import slot_waits_sweep


class Command(BaseCommand):
    help = (
        "Expire the offers of freed slots nobody accepted in time and offer those slots to the "
        "next structure waiting (run every few minutes)."
    )

    def handle(self, *args, **options) -> None:
        count = slot_waits_sweep()
        self.stdout.write(f"{count} créneau(x) proposé(s).")
