"""The documents rendered in the background: their page (being prepared, ready, failed) and
their file, for their requester only, while still entitled (others get a 404)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.storage import stored_file_response
from reports import selectors
from reports.models import DocumentStatus


@login_required
@require_GET
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Says whether the document is ready; its script asks again while it is being prepared."""
    document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
    return render(request, "reports/document.html", {"document": document})


@login_required
@require_GET
def document_file(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(
        selectors.documents_visible_to(request.user), pk=pk, status=DocumentStatus.READY
    )
    response = stored_file_response(
        request, document.file, filename=document.filename, content_type="application/pdf"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
