from django.core.management.base import BaseCommand

from bookings.notifications import booking_messages_sweep


class Command(BaseCommand):
    help = (
        "Write the notifications and e-mails of booking requests whose job was lost (broker "
        "down) or whose attempt is due again (run every minute without beat; safe to run twice)."
    )

    def handle(self, *args: object, **options: object) -> None:
        count = booking_messages_sweep()
        self.stdout.write(f"{count} demande(s) : messages écrits.")
