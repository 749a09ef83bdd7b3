"""Supporting documents as files: the checks on upload and the response that serves one from
private storage.

A document is accepted only if its whole content is what its first bytes announce: a PDF that
pypdf can read, or a JPEG or PNG image that Pillow decodes to the last pixel. It is then stored
under the extension of that type, never the one it was uploaded with, so that `x.exe` holding a
PDF is kept as `x.pdf` and served as a PDF. Web content (HTML, SVG, script) anywhere in the file
is refused: a file that is both a valid PDF or image and a web page (a polyglot) could be
rendered as a page by a browser that sniffs content.
"""

import io
import re
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from accounts.models import OrganisationDocument
from core.storage import stored_file_response

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_MAX_PIXELS = 40_000_000  # checked from the header, before any pixel is decoded
# The first bytes decide, never the name or the browser's content type.
_SIGNATURES = {
    b"%PDF-": "pdf",
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
}
_EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG"}
# An HTML or SVG tag, or a doctype, anywhere in the bytes. Compressed image and PDF data hold
# such a sequence by chance with a negligible probability (about 10^-12 per position).
_WEB_CONTENT = re.compile(
    rb"<(?:html|head|body|script|svg|iframe|object|embed|meta|!doctype)[\s>/]", re.IGNORECASE
)


def document_check(upload: UploadedFile) -> str:
    """Return the format the content proves ("pdf", "jpeg" or "png").

    Raises ValidationError with a message for the user if the file is empty, too large, of
    another type, unreadable as the type it announces, or carries web content.
    """
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    kind = next((k for sig, k in _SIGNATURES.items() if content.startswith(sig)), None)
    if kind is None:
        raise ValidationError(_("Only PDF, JPEG or PNG files are accepted."), code="bad_format")
    if _WEB_CONTENT.search(content):
        raise ValidationError(
            _("This file contains web content (HTML, SVG or script): it is refused."),
            code="web_content",
        )
    if kind == "pdf":
        _check_pdf(content)
    else:
        _check_image(content, kind)
    return kind


def document_stored_name(upload_name: str, kind: str) -> str:
    """The name to store a document under: its own name with the extension of its real type."""
    stem = PurePath(upload_name or "document").stem[:100] or "document"
    return f"{stem}.{_EXTENSIONS[kind]}"


def _check_pdf(content: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")  # protected against changes only: readable without a password
        pages = len(reader.pages)
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise ValidationError(_("This file is not a readable PDF."), code="not_pdf") from exc
    if pages == 0:
        raise ValidationError(_("This file is not a readable PDF."), code="not_pdf")


def _check_image(content: bytes, kind: str) -> None:
    try:
        with Image.open(io.BytesIO(content), formats=[_PILLOW_FORMATS[kind]]) as image:
            width, height = image.size
            if width * height > DOCUMENT_MAX_PIXELS:
                raise ValidationError(
                    _("The image has more than 40 megapixels."), code="too_many_pixels"
                )
            image.load()  # decode every pixel: a truncated or forged image fails here
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValidationError(
            _("This file is not a readable JPEG or PNG image."), code="not_image"
        ) from exc


def document_response(request: HttpRequest, document: OrganisationDocument) -> HttpResponse:
    """Serve `document` as a download; the caller has already checked the user may open it.

    Streamed from private storage (disk or bucket, never a public URL), as an attachment so
    that the browser does not render it inline, under the stored name without its directories.
    A file missing from the storage is a 404, a storage that does not answer a 503 page.
    """
    response = stored_file_response(
        request,
        document.file,
        as_attachment=True,
        filename=document.file.name.rsplit("/", 1)[-1],
    )
    # A structure's private papers: never kept by a shared cache or the browser.
    response.headers["Cache-Control"] = "private, no-store"
    return response
