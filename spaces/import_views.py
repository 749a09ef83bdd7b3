"""The inventory import's pages: upload and dry run, confirmation, summary; the template and the
export in the template's format (spaces.imports).

The file of a dry run that refused nothing is kept in the private storage until it is confirmed;
the confirmation form names it by a random token that the session maps to the stored name, so
the browser never sends the file twice and cannot point at another person's file.
"""

import contextlib
import secrets

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exports import table_response
from core.middleware import accepts_upload
from core.storage import STORAGE_DOWN_MESSAGE, private_storage
from spaces import services
from spaces.imports import (
    COLUMNS,
    EXAMPLE_LINE,
    IMPORT_FILES_DIR,
    MAX_FILE_BYTES,
    ImportRefused,
    Outcome,
    Plan,
    communes_importable_by,
    inventory_export_rows,
)

SESSION_KEY = "inventory_imports"
EXPIRED_MESSAGE = gettext_lazy(
    "This import was already done or has expired: upload the file again."
)
REPORT_MAX_LINES = 500  # the page lists this many lines that change or are refused


class InventoryUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Inventory file (CSV or XLSX)"),
        help_text=gettext_lazy(
            "The template's columns, or those of the SCDL “équipements” schema; at most 10 MB."
        ),
    )


def _check_may_import(request: HttpRequest) -> None:
    if not communes_importable_by(request.user).exists():
        raise Http404


def _report_context(plan: Plan) -> dict:
    shown = [line for line in plan.lines if line.outcome != Outcome.UNCHANGED]
    return {
        "plan": plan,
        "counts": plan.counts,
        "report_lines": shown[:REPORT_MAX_LINES],
        "report_truncated": len(shown) > REPORT_MAX_LINES,
        "report_max": REPORT_MAX_LINES,
    }


@accepts_upload
@login_required
@require_http_methods(["GET", "POST"])
def inventory_import(request: HttpRequest) -> HttpResponse:
    """Upload a file: the dry run's report, and a confirmation form when nothing is refused."""
    _check_may_import(request)
    form = InventoryUploadForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            plan = services.inventory_import(actor=request.user, file=upload, dry_run=True)
        except ImportRefused as exc:
            form.add_error("file", exc.message)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            context.update(_report_context(plan))
            if not plan.refused:
                try:
                    context["token"] = _keep(request, upload)
                except OSError:
                    form.add_error("file", STORAGE_DOWN_MESSAGE)
    return render(request, "spaces/inventory_import.html", context)


def _keep(request: HttpRequest, upload) -> str:
    """Store the file checked by the dry run; return the token the confirmation form carries."""
    upload.seek(0)
    name = private_storage.save(
        f"{IMPORT_FILES_DIR}/{secrets.token_hex(16)}",
        ContentFile(upload.read(MAX_FILE_BYTES + 1)),
    )
    token = secrets.token_urlsafe(24)
    kept = request.session.get(SESSION_KEY, {})
    for old in kept.values():  # one pending import per session: an older one is dropped
        _forget(old)
    request.session[SESSION_KEY] = {token: name}
    return token


def _forget(name: str) -> None:
    # A file left behind is private and unnamed: never worth an error page.
    with contextlib.suppress(OSError):
        private_storage.delete(name)


@login_required
@require_POST
def inventory_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the file of the dry run: all or nothing; the summary, or the new refusals."""
    _check_may_import(request)
    kept = request.session.get(SESSION_KEY, {})
    name = kept.get(request.POST.get("token", ""))
    if name is None:
        return _refusal(request, EXPIRED_MESSAGE, status=409)
    try:
        with private_storage.open(name, "rb") as stored:
            plan = services.inventory_import(actor=request.user, file=stored, dry_run=False)
    except ImportRefused as exc:  # cannot happen to a file the dry run read, unless altered
        return _refusal(request, exc.message, status=409)
    except FileNotFoundError:  # swept after a day unconfirmed (services.import_files_sweep)
        request.session[SESSION_KEY] = {}
        return _refusal(request, EXPIRED_MESSAGE, status=409)
    except OSError:
        return _refusal(request, STORAGE_DOWN_MESSAGE, status=503)
    except PermissionDenied as exc:
        raise Http404 from exc
    if plan.refused:  # the base changed since the dry run: nothing written, say why
        context = {"form": InventoryUploadForm(), **_report_context(plan)}
        return render(request, "spaces/inventory_import.html", context, status=409)
    request.session[SESSION_KEY] = {}
    _forget(name)
    return render(request, "spaces/inventory_import_done.html", _report_context(plan))


def _refusal(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    context = {"form": InventoryUploadForm(), "page_error": message}
    return render(request, "spaces/inventory_import.html", context, status=status)


def _spreadsheet(filename: str, fmt: str, rows) -> HttpResponse:
    """The template or the export as CSV or XLSX (the format is in the address; any other → 404),
    written by core.exports as every download is."""
    return table_response({"format": fmt}, filename, COLUMNS, rows)


@login_required
@require_GET
def inventory_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The template: the columns and one example line."""
    _check_may_import(request)
    return _spreadsheet("modele_inventaire", fmt, [EXAMPLE_LINE])


@login_required
@require_GET
def inventory_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The premises the user may import into, in the template's format (imports back as is)."""
    _check_may_import(request)
    return _spreadsheet("inventaire", fmt, list(inventory_export_rows(request.user)))
