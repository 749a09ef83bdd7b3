"""The journal: recent changes to the records whose edits must stay traceable, for the
intercommunality. Field-level edits come from django-simple-history (sites, their facilities
managers and delegations, spaces, tariffs, payment channels, criteria, closures, scores,
reviewers' declarations, organisations), decisions on calls and verification events from their
domain logs (CallLog, OrganisationLog).

One page costs a fixed number of queries whatever its length: one for the count, one for the
page across every history table (a UNION), then per kind on the page one for its rows, one for
the versions just before them (what each change is compared with) and one per related model a
changed foreign key points to.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import Organisation, OrganisationLog
from bookings.models import Closure
from calls.models import CallLog, Criterion, ReviewerAssignment, Score
from payments.models import PaymentChannel, Tariff
from spaces.models import Site, SiteManager, Space

PAGE_SIZE = 30
# Bookkeeping, not decisions: never listed as changes.
_SKIPPED_FIELDS = {"id", "created_at", "updated_at", "is_demo"}


@dataclass(frozen=True)
class JournalKind:
    code: str
    label: Promise
    model: type[models.Model]  # the tracked model, or a domain log (CallLog, OrganisationLog)
    related: tuple[str, ...]  # select_related, for the subject
    subject: Callable[[Any], str]
    # A domain log's row as (action, changes): what was decided, and the values it changed.
    decision: Callable[[Any], tuple[str, list["Change"]]] | None = None

    @property
    def table(self) -> type[models.Model]:
        """The model whose rows are listed: the historical model, or the domain log."""
        return self.model.history.model if hasattr(self.model, "history") else self.model

    @property
    def is_history(self) -> bool:
        return self.table is not self.model


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _name(obj: Any, attribute: str = "name") -> str:
    return getattr(obj, attribute) if obj is not None else _("(deleted)")


def _status_change(log: CallLog) -> tuple[str, list]:
    action = _("%(from)s → %(to)s") % {
        "from": log.get_from_status_display() or "—",
        "to": log.get_to_status_display(),
    }
    return action, []


def _verification_event(log: OrganisationLog) -> tuple[str, list]:
    """The event, and the identifying values it concerns (field → [old, new])."""
    changes = []
    for name, values in (log.changes or {}).items():
        try:
            label = str(Organisation._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = name
        old, new = [*values, "", ""][:2] if isinstance(values, list) else ("", values)
        changes.append(Change(label=label, old=str(old or "—"), new=str(new or "—")))
    return log.get_kind_display(), changes


KINDS: dict[str, JournalKind] = {
    kind.code: kind
    for kind in [
        JournalKind(
            "call",
            gettext_lazy("Calls for applications"),
            CallLog,
            ("call",),
            lambda row: _name(row.call, "title"),
            _status_change,
        ),
        JournalKind(
            "criterion",
            gettext_lazy("Criteria of calls"),
            Criterion,
            ("call",),
            lambda row: f"{row.name} — {_name(row.call, 'title')}",
        ),
        JournalKind(
            "score",
            gettext_lazy("Scores"),
            Score,
            ("criterion", "application__structure", "application__call", "reviewer"),
            lambda row: (
                _("%(criterion)s — %(structure)s, by %(reviewer)s")
                % {
                    "criterion": _name(row.criterion),
                    "structure": _name(row.application and row.application.structure),
                    "reviewer": row.reviewer if row.reviewer is not None else _("(deleted)"),
                }
            ),
        ),
        JournalKind(
            "reviewer",
            gettext_lazy("Reviewers' declarations"),
            ReviewerAssignment,
            ("call", "reviewer"),
            lambda row: f"{row.reviewer or _('(deleted)')} — {_name(row.call, 'title')}",
        ),
        JournalKind("site", gettext_lazy("Sites"), Site, ("commune",), lambda row: _name(row)),
        JournalKind(
            "manager",
            gettext_lazy("Facilities managers and delegations"),
            SiteManager,
            ("site", "user"),
            lambda row: f"{row.user or _('(deleted)')} — {_name(row.site)}",
        ),
        JournalKind(
            "space",
            gettext_lazy("Spaces"),
            Space,
            ("site",),
            lambda row: f"{row.name} — {_name(row.site)}",
        ),
        JournalKind(
            "closure",
            gettext_lazy("Closures"),
            Closure,
            ("site", "space"),
            lambda row: (
                f"{row.reason} — {_name(row.site or row.space)}, "
                f"{_when(row.start)} → {_when(row.end)}"
            ),
        ),
        JournalKind(
            "tariff",
            gettext_lazy("Tariffs"),
            Tariff,
            ("space",),
            lambda row: (
                f"{_name(row.space)} — {row.get_category_display()}, {row.get_unit_display()}"
            ),
        ),
        JournalKind(
            "channel",
            gettext_lazy("Payment channels"),
            PaymentChannel,
            ("owner",),
            lambda row: _name(row.owner),
        ),
        JournalKind(
            "organisation",
            gettext_lazy("Organisations and their verification"),
            Organisation,
            (),
            lambda row: row.name,
        ),
        JournalKind(
            "verification",
            gettext_lazy("Verification events"),
            OrganisationLog,
            ("organisation",),
            lambda row: _name(row.organisation),
            _verification_event,
        ),
    ]
}

# Fields that no form edits (so diff_against leaves them out) but whose changes matter: who
# verified a structure, and when.
_EXTRA_FIELDS = {"organisation": ("verified_at", "verified_by")}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class JournalEntry:
    kind: JournalKind
    when: datetime
    actor: Any  # a User, or None for the platform (commands, scheduled jobs)
    action: str
    subject: str
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    # The version before and this one, while the changes are worked out.
    versions: tuple[Any, Any] | None = None


def _page_rows(kinds: list[JournalKind]) -> models.QuerySet:
    """(when, row id, kind code) of every listed row, newest first, as one UNION query."""
    parts = []
    for kind in kinds:
        date_field, id_field = (
            ("history_date", "history_id") if kind.is_history else ("created_at", "pk")
        )
        parts.append(
            kind.table.objects.order_by()
            .annotate(
                journal_at=F(date_field),
                journal_row=F(id_field),
                journal_kind=Value(kind.code, output_field=CharField()),
            )
            .values_list("journal_at", "journal_row", "journal_kind")
        )
    if len(parts) == 1:
        return parts[0].order_by("-journal_at", "-journal_row")
    return parts[0].union(*parts[1:], all=True).order_by("-journal_at", "-journal_row")


def journal_page(*, kind: str | None, page_number: str | int | None) -> Page:
    """One page of the journal, newest first; `kind` (a KINDS code) narrows it.

    The page's object_list holds JournalEntry objects. Callers check who may read it.
    """
    kinds = [KINDS[kind]] if kind in KINDS else list(KINDS.values())
    paginator = Paginator(_page_rows(kinds), PAGE_SIZE)
    page = paginator.get_page(page_number)
    ids: dict[str, list[int]] = defaultdict(list)
    for _at, row_id, code in page.object_list:
        ids[code].append(row_id)
    rows = {code: _rows(KINDS[code], row_ids) for code, row_ids in ids.items()}
    entries = [rows[code][row_id] for _at, row_id, code in page.object_list]
    _describe_changes([entry for entry in entries if entry.versions is not None])
    page.object_list = entries
    return page


_ACTIONS = {
    "+": pgettext_lazy("journal", "Creation"),
    "~": pgettext_lazy("journal", "Change"),
    "-": pgettext_lazy("journal", "Deletion"),
}


def _rows(kind: JournalKind, row_ids: list[int]) -> dict[int, JournalEntry]:
    table = kind.table
    if not kind.is_history:
        entries = {}
        for log in table.objects.filter(pk__in=row_ids).select_related("actor", *kind.related):
            action, changes = kind.decision(log)
            entries[log.pk] = JournalEntry(
                kind=kind,
                when=log.created_at,
                actor=log.actor,
                action=action,
                subject=kind.subject(log),
                reason=log.reason,
                changes=changes,
            )
        return entries
    previous = Subquery(
        table.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    records = list(
        table.objects.filter(history_id__in=row_ids)
        .select_related("history_user", *kind.related)
        .annotate(previous_id=previous)
    )
    previous_ids = [r.previous_id for r in records if r.history_type == "~" and r.previous_id]
    older = table.objects.in_bulk(previous_ids) if previous_ids else {}
    entries = {}
    for record in records:
        entry = JournalEntry(
            kind=kind,
            when=record.history_date,
            actor=record.history_user,
            action=str(_ACTIONS[record.history_type]),
            subject=kind.subject(record),
        )
        before = older.get(record.previous_id)
        if before is not None:  # compared by _describe_changes, for the whole page at once
            entry.versions = (before, record)
        elif record.history_type == "~":
            # Rows older than their history (or added in bulk, as a site's managers are) have no
            # earlier version until `populate_history --auto` records one.
            entry.reason = _("The earlier values were not recorded.")
        entries[record.history_id] = entry
    return entries


def _raw_changes(kind: JournalKind, before: Any, after: Any) -> list[tuple[models.Field, Any, Any]]:
    """(field, old, new) of what changed, from simple-history's diff_against."""
    editable = [
        f.name for f in after.tracked_fields if f.editable and f.name not in _SKIPPED_FIELDS
    ]
    delta = after.diff_against(before, included_fields=editable)
    changed = [(after._meta.get_field(c.field), c.old, c.new) for c in delta.changes]
    for name in _EXTRA_FIELDS.get(kind.code, ()):
        model_field = after._meta.get_field(name)
        old, new = getattr(before, model_field.attname), getattr(after, model_field.attname)
        if old != new:
            changed.append((model_field, old, new))
    return changed


def _describe_changes(entries: list[JournalEntry]) -> None:
    """Turn each entry's pair of versions into labelled old → new values. Foreign keys are
    shown by name, read in one query per related model for the whole page."""
    raw = {id(e): _raw_changes(e.kind, *e.versions) for e in entries}
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for changes in raw.values():
        for model_field, old, new in changes:
            if model_field.is_relation:
                wanted[model_field.related_model].update(v for v in (old, new) if v is not None)
    names = {model: model._default_manager.in_bulk(pks) for model, pks in wanted.items()}
    for entry in entries:
        entry.changes = [
            Change(
                label=str(model_field.verbose_name),
                old=_display(model_field, old, names),
                new=_display(model_field, new, names),
            )
            for model_field, old, new in raw[id(entry)]
        ]
        entry.versions = None


def _display(model_field: models.Field, value: Any, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        related = names.get(model_field.related_model, {}).get(value)
        return str(related) if related is not None else _("(deleted)")
    if model_field.flatchoices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return _when(value)
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list | dict):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return str(value)
