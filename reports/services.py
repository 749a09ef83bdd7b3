"""Writes of the reports app: cash subsidies entered by the finance department, and the
documents rendered in the background (the budget annex of a commune)."""

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organisation, OrganisationKind, User
from core.jobs import job_after_commit
from core.pdf import render_pdf
from reports.models import (
    FIRST_YEAR,
    LAST_YEAR,
    CashSubsidy,
    DocumentKind,
    DocumentStatus,
    GeneratedDocument,
)
from reports.selectors import (
    BudgetAnnex,
    aid_grantors_for,
    budget_annex,
    cash_subsidies_editable_by,
    communes_reportable_by,
    document_reusable,
)
from spaces.models import Commune

logger = logging.getLogger(__name__)

# --- Cash subsidies ---


def cash_subsidy_create(
    *,
    actor: User,
    structure: Organisation,
    granted_by: Organisation,
    year: int,
    amount_cents: int,
    label: str,
    decision_reference: str = "",
) -> CashSubsidy:
    """Record a cash subsidy. Raises PermissionDenied unless the actor reports on `granted_by`,
    ValidationError naming the field at fault."""
    if not aid_grantors_for(actor).filter(pk=granted_by.pk).exists():
        raise PermissionDenied
    errors = {}
    if structure.kind != OrganisationKind.ESS:
        errors["structure"] = _("Choose a social and solidarity economy structure.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = _("Give a year between %(first)s and %(last)s.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    if amount_cents <= 0:
        errors["amount"] = _("The amount must be positive.")
    if not label.strip():
        errors["label"] = _("Say what the subsidy is for.")
    if errors:
        raise ValidationError(errors)
    subsidy = CashSubsidy.objects.create(
        structure=structure,
        granted_by=granted_by,
        year=year,
        amount_cents=amount_cents,
        label=label.strip(),
        decision_reference=decision_reference.strip(),
        entered_by=actor,
    )
    logger.info(
        "cash subsidy %s entered by user %s: %s cents to organisation %s for %s",
        subsidy.pk,
        actor.pk,
        amount_cents,
        structure.pk,
        year,
    )
    return subsidy


def cash_subsidy_delete(*, actor: User, subsidy: CashSubsidy) -> None:
    """Remove a subsidy entered by mistake. Raises PermissionDenied for outsiders."""
    if not cash_subsidies_editable_by(actor).filter(pk=subsidy.pk).exists():
        raise PermissionDenied
    logger.info("cash subsidy %s deleted by user %s", subsidy.pk, actor.pk)
    subsidy.delete()


# --- Documents rendered in the background ---

# Longer than document_render's hard time limit (reports/tasks.py): a document still pending
# after this was never rendered (broker down when it was asked for, worker killed).
PENDING_STALE_AFTER = timedelta(minutes=10)
# A document pending this long will not come: the requester is told to ask again.
PENDING_GIVE_UP_AFTER = timedelta(hours=1)
# Generated files are copies of data kept elsewhere: deleted after a week.
DOCUMENTS_KEPT_FOR = timedelta(days=7)
# Stored in English, shown translated (the requester's language when the page is read).
RENDER_FAILED = gettext_noop(
    "The document could not be prepared. Please ask for it again; if it fails again, "
    "contact the intercommunality's support."
)
STORAGE_FAILED = gettext_noop(
    "The document could not be stored: the file storage does not answer. "
    "Please ask for it again in a few minutes."
)


def annex_pdf(annex: BudgetAnnex) -> bytes:
    """The budget annex as a tagged PDF (the same document as the annex page)."""
    title = f"Annexe — concours attribués en nature — {annex.commune.name} — exercice {annex.year}"
    return render_pdf("pdf/annex.html", {"annex": annex}, title=title)


def annex_document_request(*, actor: User, commune: Commune, year: int) -> GeneratedDocument:
    """Ask for the budget annex of `commune` for `year` as a PDF, rendered by a job.

    An identical request still being prepared, or ready a few minutes ago, is returned instead
    (reports.selectors.document_reusable). Raises PermissionDenied unless the actor reports on
    the commune (the permission queryset of the annex page), ValidationError for a year out of
    range. The job is sent after commit; without a broker (make run) it runs at once.
    """
    if not communes_reportable_by(actor).filter(pk=commune.pk).exists():
        raise PermissionDenied
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            {
                "year": _("Give a year between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            }
        )
    kind = DocumentKind.ANNEX
    existing = document_reusable(user=actor, kind=kind, commune=commune, year=year)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            document = GeneratedDocument.objects.create(
                requested_by=actor, kind=kind, commune=commune, year=year
            )
            _document_render_after_commit(document.pk)
    except IntegrityError:
        # The same request, at the same moment, from the same user (a double click): the
        # constraint kept one pending document; answer with it.
        existing = document_reusable(user=actor, kind=kind, commune=commune, year=year)
        if existing is None:
            raise
        return existing
    logger.info(
        "document %s (%s %s %s) requested by user %s",
        document.pk,
        kind,
        commune.insee_code,
        year,
        actor.pk,
    )
    return document


def _document_render_after_commit(document_pk: int) -> None:
    from reports.tasks import document_render  # the tasks module imports this one

    job_after_commit(document_render, document_pk)


def document_render(*, document_pk: int) -> str:
    """Render a pending document into private storage; returns its status afterwards.

    Idempotent: a document already ready or failed, or deleted, is left alone. The PDF is
    rendered outside any transaction (seconds: on SQLite a transaction would block every other
    writer meanwhile), then the row is locked and still-pending checked before the file is
    written, so two runs at once (a job sent again by the sweep) store one file. A failure marks
    the document failed with a message for the requester; the detail goes to the log.
    """
    document = GeneratedDocument.objects.select_related("commune").filter(pk=document_pk).first()
    if document is None or document.status != DocumentStatus.PENDING:
        return document.status if document else "missing"
    try:
        content = annex_pdf(budget_annex(commune=document.commune, year=document.year))
    except (OperationalError, InterfaceError):
        raise  # transient: the task is tried again (core.periodic.RETRY_ON_DB_ERRORS)
    except Exception:
        logger.exception("document %s could not be rendered", document.pk)
        return _document_fail(document_pk=document.pk, message=RENDER_FAILED)
    try:
        with transaction.atomic():
            locked = GeneratedDocument.objects.select_for_update().get(pk=document.pk)
            if locked.status != DocumentStatus.PENDING:
                return locked.status  # another run stored it meanwhile
            # The file is written under the row lock, before the row says ready: a second run
            # waits for the lock, then finds the document ready and writes nothing.
            locked.file.save(document.filename, ContentFile(content), save=False)
            locked.status = DocumentStatus.READY
            locked.finished_at = timezone.now()
            locked.save(update_fields=["file", "status", "finished_at"])
    except OSError:
        logger.warning("document %s could not be stored", document.pk, exc_info=True)
        return _document_fail(document_pk=document.pk, message=STORAGE_FAILED)
    logger.info("document %s ready (%s bytes)", document.pk, len(content))
    return DocumentStatus.READY


def _document_fail(*, document_pk: int, message: str) -> str:
    GeneratedDocument.objects.filter(pk=document_pk, status=DocumentStatus.PENDING).update(
        status=DocumentStatus.FAILED, error=message, finished_at=timezone.now()
    )
    return DocumentStatus.FAILED


def documents_sweep() -> tuple[int, int]:
    """Send again the render of documents pending for too long (their job was never sent or
    never finished), mark failed those pending for over an hour, and delete documents older
    than DOCUMENTS_KEPT_FOR with their files.

    Returns (sent again, deleted). Idempotent; the files go once the deletion commits
    (core.storage.files_delete_with_row).
    """
    now = timezone.now()
    pending = GeneratedDocument.objects.filter(status=DocumentStatus.PENDING)
    pending.filter(created_at__lt=now - PENDING_GIVE_UP_AFTER).update(
        status=DocumentStatus.FAILED, error=RENDER_FAILED, finished_at=now
    )
    resent = 0
    for pk in pending.filter(created_at__lt=now - PENDING_STALE_AFTER).values_list("pk", flat=True):
        _document_render_after_commit(pk)  # outside a transaction: sent at once
        resent += 1
    deleted = 0
    for document in GeneratedDocument.objects.filter(created_at__lt=now - DOCUMENTS_KEPT_FOR):
        with transaction.atomic():
            document.delete()  # one by one: post_delete removes each file after commit
        deleted += 1
    if resent or deleted:
        logger.info("documents sweep: %s sent again, %s deleted", resent, deleted)
    return resent, deleted
