from django.core.management.base import BaseCommand

from bookings.allocations import allocations_activate_and_end, allocations_remind_ending


class Command(BaseCommand):
    help = (
        "Start the signed agreements whose first day has come and end those past their term "
        "and remind both sides 60 and 30 days before an agreement ends (run once a day, after "
        "midnight)."
    )

    def handle(self, *args, **options) -> None:
        started, ended = allocations_activate_and_end()
        reminded = allocations_remind_ending()
        self.stdout.write(
            f"{started} convention(s) commencée(s), {ended} convention(s) terminée(s), "
            f"{reminded} rappel(s) de fin envoyé(s)."
        )
