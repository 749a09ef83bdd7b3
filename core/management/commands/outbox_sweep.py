from django.core.management.base import BaseCommand

from core.mail import outbox_sweep


class Command(BaseCommand):
    help = (
        "Send the outgoing e-mails that are due: those the mail server or the broker refused, "
        "and claims of workers that died (run every minute without beat; safe to run twice)."
    )

    def handle(self, *args: object, **options: object) -> None:
        count = outbox_sweep()
        self.stdout.write(f"{count} e-mail(s) envoyé(s).")
