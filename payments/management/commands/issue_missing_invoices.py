from django.core.management.base import BaseCommand, CommandError

from payments.selectors import payments_without_invoice, refunds_without_credit_note
from payments.services import documents


class Command(BaseCommand):
    help = (
        "Issue the invoices of collected card payments and the credit notes of succeeded "
        "refunds that have none (their issuing failed at the time)."
    )

    def handle(self, *args: object, **options: object) -> None:
        # Invoices first: a credit note needs the invoice it corrects.
        invoices = [
            documents.invoice_issue_or_log(payment=payment)
            for payment in payments_without_invoice()
        ]
        credit_notes = [
            documents.credit_note_issue_or_log(refund=refund)
            for refund in refunds_without_credit_note()
        ]
        issued = [document for document in invoices + credit_notes if document is not None]
        failed = len(invoices) + len(credit_notes) - len(issued)
        self.stdout.write(f"{len(issued)} document(s) issued, {failed} failure(s).")
        if failed:
            # A non-zero exit status, so that the scheduler reports it; the log has the causes.
            raise CommandError(f"{failed} document(s) could not be issued: see the log.")
