from django.core.management.base import BaseCommand

from bookings.allocations import allocations_activate_and_end


class Command(BaseCommand):
    help = (
        "Start the signed agreements whose first day has come and end those past their term "
        "(run once a day, after midnight)."
    )

    def handle(self, *args, **options) -> None:
        started, ended = allocations_activate_and_end()
        self.stdout.write(
            f"{started} convention(s) commencée(s), {ended} convention(s) terminée(s)."
        )
