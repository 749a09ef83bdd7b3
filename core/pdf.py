"""PDF documents from HTML templates (WeasyPrint), tagged for accessibility (PDF/UA)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def render_pdf(template: str, context: dict, *, title: str) -> bytes:
    """Render `template` to a tagged PDF in French, whatever the requester's language."""
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it

    with translation.override("fr"):
        html = render_to_string(template, {**context, "document_title": title})
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=False)
