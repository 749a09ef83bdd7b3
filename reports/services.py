"""Writes of the reports app: cash subsidies entered by the finance department, and the daily
expiry reminders (insurance certificates, ESUS approvals)."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import DocumentKind, Organisation, OrganisationDocument, OrganisationKind, User
from bookings.models import AllocationStatus
from core.mail import mail_subject
from reports import rules
from reports.models import FIRST_YEAR, LAST_YEAR, CashSubsidy, ReminderKind, ReminderSent
from reports.selectors import aid_grantors_for, cash_subsidies_editable_by
from spaces.models import Site

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


# --- Expiry reminders ---

# A claim whose e-mails never left (crash, mail server down) is taken again after this delay.
CLAIM_TIMEOUT = timedelta(hours=1)
KIND_LABELS_FR = {
    ReminderKind.INSURANCE: "attestation d'assurance",
    ReminderKind.ESUS: "agrément ESUS (entreprise solidaire d'utilité sociale)",
}
SUBJECTS_FR = {
    ReminderKind.INSURANCE: "Attestation d'assurance à renouveler",
    ReminderKind.ESUS: "Agrément ESUS à renouveler",
}
CURRENT_AGREEMENTS = (AllocationStatus.SIGNED, AllocationStatus.ACTIVE)


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


def _claim(item: ExpiringItem, threshold: int, now: datetime) -> ReminderSent | None:
    """Create (or take over a stale) reminder row; None if this reminder is sent or underway."""
    key = {
        "kind": item.kind,
        "object_key": item.object_key,
        "expires_on": item.expires_on,
        "threshold_days": threshold,
    }
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(
                **key, organisation=item.organisation, claimed_at=now
            )
    except IntegrityError:  # the row exists: sent, or claimed by another run
        pass
    taken = ReminderSent.objects.filter(
        **key, sent_at__isnull=True, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(claimed_at=now)
    return ReminderSent.objects.get(**key) if taken else None


def _recipients(organisation: Organisation) -> tuple[list[str], list[tuple[str, list[Site]]]]:
    """The structure's members, and each manager of a site where it holds a current agreement
    with the sites concerned."""
    members = list(
        User.objects.filter(memberships__organisation=organisation, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    sites = list(
        Site.objects.filter(
            spaces__allocations__structure=organisation,
            spaces__allocations__status__in=CURRENT_AGREEMENTS,
        )
        .distinct()
        .prefetch_related("managers")
        .order_by("name")
    )
    managers: dict[str, list[Site]] = {}
    for site in sites:
        for manager in site.managers.all():
            if manager.is_active and manager.email not in members:
                managers.setdefault(manager.email, []).append(site)
    return members, sorted(managers.items())


def _messages(item: ExpiringItem, threshold: int, today: date) -> list[EmailMessage]:
    members, managers = _recipients(item.organisation)
    context = {
        "organisation": item.organisation,
        "kind": item.kind,
        "kind_label": KIND_LABELS_FR[item.kind],
        "expires_on": item.expires_on,
        "days_left": (item.expires_on - today).days,
        "threshold": threshold,
        "site_url": settings.SITE_URL,
    }
    subject = mail_subject(f"[Locaux Communs] {SUBJECTS_FR[item.kind]} — {item.organisation.name}")
    # E-mails are in French, the platform's language.
    with translation.override("fr"):
        to_structure = render_to_string("emails/expiry_structure.txt", context)
        messages = [EmailMessage(subject, to_structure, None, [email]) for email in members]
        for email, sites in managers:
            body = render_to_string("emails/expiry_manager.txt", {**context, "sites": sites})
            messages.append(EmailMessage(subject, body, None, [email]))
    return messages


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
        claim = _claim(item, threshold, now)
        if claim is None:
            continue
        messages = _messages(item, threshold, today)
        # Outside any transaction: a failing mail server leaves the claim unsent, retried later.
        with get_connection() as connection:
            connection.send_messages(messages)
        ReminderSent.objects.filter(pk=claim.pk).update(
            sent_at=timezone.now(), recipient_count=len(messages)
        )
        sent += 1
    return sent
