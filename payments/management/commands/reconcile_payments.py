from django.core.management.base import BaseCommand, CommandParser

from payments.services.webhooks import payments_reconcile


class Command(BaseCommand):
    help = "Read again from Stripe the payments still in progress (catches missed webhooks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=3, help="Payments created this recently.")

    def handle(self, *args: object, days: int, **options: object) -> None:
        checked, changed = payments_reconcile(days=days)
        self.stdout.write(f"{checked} payment(s) checked, {changed} updated.")
