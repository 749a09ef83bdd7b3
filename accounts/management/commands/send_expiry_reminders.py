from django.core.management.base import BaseCommand

from accounts.reminders import expiry_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail reminders 30 and 7 days before insurance certificates and ESUS approvals expire "
        "(run daily; idempotent: each reminder is recorded in ReminderSent and leaves once)."
    )

    def handle(self, *args, **options) -> None:
        count = expiry_reminders_send()
        self.stdout.write(f"{count} rappel(s) d'échéance envoyé(s).")
