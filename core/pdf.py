"""PDF documents from HTML templates (WeasyPrint), tagged for accessibility (PDF/UA).

WeasyPrint fetches every URL a document names (stylesheets, images, fonts, attachments) and, by
default, any URL at all: `http://` to anywhere, `file://` anywhere on the server's disk. A
user's text that reached a stylesheet once made it request an attacker's URL and embed a file
of the server (issue 9). So templates keep user data in HTML only, and WeasyPrint gets
`static_files_fetcher()`, which serves the project's own static files and refuses the rest.
"""

import functools
import logging
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def static_files_fetcher():
    """A WeasyPrint URL fetcher that opens no connection and reads only static files.

    Served: `file:` URLs whose path starts with STATIC_URL (what `{% static %}` writes, resolved
    against the document's base URL), looked up through the staticfiles finders then
    STATIC_ROOT; and `file:` URLs of a file inside those static directories. The path is
    percent-decoded and normalised first, and the lookups refuse `..` (safe_join), so nothing
    escapes. Refused with a ValueError, which WeasyPrint logs and skips: every other scheme
    (http, https, ftp, data…) and every other file. `data:` URLs are refused too: no template
    needs them, and allowing them would only widen what a stray stylesheet could do.
    """
    return _fetcher_class()()


@functools.cache
def _fetcher_class() -> type:
    # Built on first use: importing WeasyPrint loads Pango (half a second), which only PDFs need.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            path = static_file_path(url)
            if path is None:
                logger.warning("PDF resource refused (not a static file): %r", url[:200])
                raise ValueError(
                    f"PDF resources are limited to the project's static files: {url[:200]!r}"
                )
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.open("rb"), headers={"Content-Type": content_type}
            )

    return StaticFilesOnlyFetcher


def static_file_path(url: str) -> Path | None:
    """The file of the project's static files that `url` names, or None."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = posixpath.normpath(unquote(parts.path))
    if "\x00" in path:  # the OS would refuse it anyway, with another error
        return None
    static_prefix = urlsplit(settings.STATIC_URL).path
    if static_prefix and path.startswith(static_prefix.rstrip("/") + "/"):
        found = _find_static(path[len(static_prefix.rstrip("/")) + 1 :])
        if found is not None:
            return found
    return _inside_static_directories(Path(path))


def _find_static(name: str) -> Path | None:
    """A static file by its name (`core/site.css`), through the finders then STATIC_ROOT."""
    try:
        found = finders.find(name)
        if found is None:
            found = staticfiles_storage.path(name)
    except (SuspiciousFileOperation, NotImplementedError, ValueError):
        return None
    path = Path(found)
    return path if path.is_file() else None


def _static_directories() -> list[Path]:
    """Where static files live: the finders' directories and STATIC_ROOT."""
    directories = [Path(settings.STATIC_ROOT)] if settings.STATIC_ROOT else []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                directories.append(Path(location))
    return [directory.resolve() for directory in directories]


def _inside_static_directories(path: Path) -> Path | None:
    if not path.is_absolute():
        return None
    resolved = path.resolve()  # symbolic links included: the target must be a static file too
    if not resolved.is_file():
        return None
    for directory in _static_directories():
        if resolved.is_relative_to(directory):
            return resolved
    return None


def render_pdf(template: str, context: dict, *, title: str, author: str = "") -> bytes:
    """Render `template` to a tagged PDF in French, whatever the requester's language.

    `title` goes into the page footer through the HTML (escaped, never into CSS) and into the
    PDF's metadata through WeasyPrint's API.
    """
    from weasyprint import HTML

    with translation.override("fr"):
        html = render_to_string(template, {**context, "document_title": title})
    document = HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=static_files_fetcher()
    ).render()
    document.metadata.title = title
    document.metadata.lang = "fr"
    document.metadata.authors = [author] if author else []
    document.metadata.generator = "Locaux Communs"
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=False)
