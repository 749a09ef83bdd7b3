from django.core.management.base import BaseCommand, CommandError

from payments.services.documents import invoices_issue_missing


class Command(BaseCommand):
    help = (
        "Issue the invoices of collected card payments and the credit notes of succeeded "
        "refunds that have none (their issuing failed at the time)."
    )

    def handle(self, *args: object, **options: object) -> None:
        issued, failed = invoices_issue_missing()
        self.stdout.write(f"{issued} document(s) issued, {failed} failure(s).")
        if failed:
            # A non-zero exit status, so that the scheduler reports it; the log has the causes.
            raise CommandError(f"{failed} document(s) could not be issued: see the log.")
