"""Supporting documents as files: the checks on upload (PDF, JPEG or PNG only, at most 10 MB)
and the response that serves one from private storage."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganisationDocument

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# The first bytes decide, never the name or the browser's content type.
_SIGNATURES = {
    b"%PDF-": "pdf",
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
}


def document_check(upload: UploadedFile) -> str:
    """Return the detected format; raise ValidationError if the file is not acceptable."""
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for signature, kind in _SIGNATURES.items():
        if head.startswith(signature):
            return kind
    raise ValidationError(_("Only PDF, JPEG or PNG files are accepted."), code="bad_format")


def document_response(document: OrganisationDocument) -> FileResponse:
    """Serve `document` as a download; the caller has already checked the user may open it.

    Streamed from private storage (never a public URL), as an attachment so that the browser
    does not render it inline, under the stored name without its directories.
    """
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.file.name.rsplit("/", 1)[-1],
    )
    # A structure's private papers: never kept by a shared cache or the browser.
    response.headers["Cache-Control"] = "private, no-store"
    return response
