from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bookings.selectors import local_zone
from payments.services.agreements import agreement_payment_requests_issue


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise CommandError(f"--month expects YYYY-MM, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Request the month's fee of the agreements collected by card and e-mail the pay links "
        "(run once a month, on the 1st; running it again requests nothing new)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--month", help="YYYY-MM; the current month in the sites' time zone by default."
        )

    def handle(self, *args: object, month: str | None = None, **options: object) -> None:
        # The default month is the sites' (Europe/Paris), as the service computes it.
        day = _month(month) if month else timezone.localdate(timezone=local_zone())
        issued = agreement_payment_requests_issue(month=day)
        self.stdout.write(f"{len(issued)} payment request(s) issued for {day:%Y-%m}.")
