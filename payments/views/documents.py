"""Invoices and credit notes as PDFs, for those who see the payment (404 to others)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from payments import selectors
from payments.services import documents


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice or credit note as an accessible PDF in French, shown in the browser."""
    invoice = get_object_or_404(
        selectors.invoices_visible_to(request.user).select_related("payment", "corrects", "refund"),
        pk=pk,
    )
    response = HttpResponse(documents.invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.invoice_filename(invoice)}"'
    return response
