"""Expiry reminders of organisations' documents: 30 and 7 days before an insurance
certificate or an ESUS approval expires, to the structure's members and to the managers of the
premises it occupies; each reminder once (`ReminderSent`). Run daily by `send_expiry_reminders`.
Both are reminders a person may switch off (topic "document_expiry", accounts/messaging.py):
the entry in their notifications list stays.

A reminder's row and its e-mails are written in one transaction (the e-mails to the mail
outbox, core/mail.py): the unique row says it is done, and the outbox delivers, retrying while
the mail server is down. Two runs at once: one inserts, the other meets the unique constraint.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts import notifications, rules
from accounts.models import (
    DocumentKind,
    Organisation,
    OrganisationDocument,
    ReminderKind,
    ReminderSent,
    User,
)

# Who else hears of an organisation's expiring documents: the managers of the premises it
# occupies. Accounts sits below spaces and bookings and cannot query them, so the app that
# knows the premises registers a source in its AppConfig.ready (bookings: current agreements).
# A source returns {manager's e-mail: [sites]}; the sites are shown in the manager's e-mail.
ManagerSource = Callable[[Organisation], dict[str, list[Any]]]
_manager_sources: list[ManagerSource] = []


def reminder_managers_register(source: ManagerSource) -> None:
    """Add a source of managers to tell (idempotent: registering twice adds it once)."""
    if source not in _manager_sources:
        _manager_sources.append(source)


@dataclass(frozen=True)
class ExpiringItem:
    kind: str
    organisation: Organisation
    object_key: str
    expires_on: date


def expiring_items(*, today: date) -> list[ExpiringItem]:
    """Insurance certificates and ESUS approvals that expire within the largest threshold.

    Only an organisation's insurance certificate that runs the longest counts: uploading a
    renewed certificate silences the reminders of the old one.
    """
    horizon = today + timedelta(days=max(rules.REMINDER_THRESHOLDS))
    longest = (
        OrganisationDocument.objects.filter(
            organisation=OuterRef("organisation"),
            kind=DocumentKind.INSURANCE,
            expires_on__isnull=False,
        )
        .order_by("-expires_on", "-uploaded_at", "-pk")
        .values("pk")[:1]
    )
    documents = (
        OrganisationDocument.objects.filter(kind=DocumentKind.INSURANCE)
        .filter(pk=Subquery(longest))
        .filter(expires_on__gte=today, expires_on__lte=horizon)
        .select_related("organisation")
        .order_by("expires_on", "pk")
    )
    items = [
        ExpiringItem(
            kind=ReminderKind.INSURANCE,
            organisation=document.organisation,
            object_key=f"document:{document.pk}",
            expires_on=document.expires_on,
        )
        for document in documents
    ]
    approvals = Organisation.objects.filter(
        esus_expires_on__gte=today, esus_expires_on__lte=horizon
    ).order_by("esus_expires_on", "pk")
    items += [
        ExpiringItem(
            kind=ReminderKind.ESUS,
            organisation=organisation,
            object_key=f"organisation:{organisation.pk}",
            expires_on=organisation.esus_expires_on,
        )
        for organisation in approvals
    ]
    return items


def _record(item: ExpiringItem, threshold: int, now: datetime) -> ReminderSent | None:
    """Insert the reminder's row; None if it exists (sent by an earlier or a concurrent run).
    Must run inside transaction.atomic() (a savepoint keeps the caller's transaction usable)."""
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(
                kind=item.kind,
                object_key=item.object_key,
                expires_on=item.expires_on,
                threshold_days=threshold,
                organisation=item.organisation,
                claimed_at=now,
            )
    except IntegrityError:
        return None


def _recipients(organisation: Organisation) -> tuple[list[User], list[tuple[User, list[Any]]]]:
    """The structure's members, and each manager of premises it occupies with those premises
    (from the apps that registered a source: accounts sits below them), managers who are also
    members told once, as members."""
    members = list(
        User.objects.filter(memberships__organisation=organisation, is_active=True)
        .order_by("email")
        .distinct()
    )
    member_emails = {member.email for member in members}
    sites_of: dict[str, list[Any]] = {}
    for source in _manager_sources:
        for email, sites in source(organisation).items():
            if email not in member_emails:
                sites_of.setdefault(email, []).extend(sites)
    managers = User.objects.filter(email__in=sites_of, is_active=True).order_by("email")
    return members, [(manager, sites_of[manager.email]) for manager in managers]


def expiry_reminders_send(*, today: date | None = None, now: datetime | None = None) -> int:
    """E-mail the structure's members and its sites' managers 30 and 7 days before an insurance
    certificate or an ESUS approval expires. Run daily; each reminder leaves once.

    Returns the number of reminders sent (one reminder = one item at one threshold, whatever
    the number of recipients).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    sent = 0
    for item in expiring_items(today=today):
        threshold = rules.reminder_threshold(expires_on=item.expires_on, today=today)
        if threshold is None:
            continue
        with transaction.atomic():
            reminder = _record(item, threshold, now)
            if reminder is None:
                continue
            members, managers = _recipients(item.organisation)
            count = notifications.expiry_reminder_notify(
                organisation=item.organisation,
                kind=item.kind,
                expires_on=item.expires_on,
                threshold=threshold,
                today=today,
                members=members,
                managers=managers,
            )
            # "sent" = handed to the outbox with the row: both exist, or neither.
            reminder.sent_at = now
            reminder.recipient_count = count
            reminder.save(update_fields=["sent_at", "recipient_count"])
        sent += 1
    return sent
