"""E-mails about accounts: invitations, structures sent back to verification, and the expiry
reminders of organisations' documents. In French; the first two leave once the transaction
that caused them commits, the reminders once their claim is recorded (accounts/reminders.py)."""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Invitation, Organisation, OrganisationLog, ReminderKind
from accounts.selectors import territory_admin_emails
from core.mail import Mail, mail_send, mail_send_batch

EXPIRY_KIND_LABELS = {
    ReminderKind.INSURANCE: "attestation d'assurance",
    ReminderKind.ESUS: "agrément ESUS (entreprise solidaire d'utilité sociale)",
}
EXPIRY_SUBJECTS = {
    ReminderKind.INSURANCE: "Attestation d'assurance à renouveler",
    ReminderKind.ESUS: "Agrément ESUS à renouveler",
}


def verification_withdrawn_on_commit(log: OrganisationLog) -> None:
    """Tell the intercommunality after commit that a structure needs verifying again."""
    log_id = log.pk
    # robust: whatever fails after commit is logged; the change is saved and the request
    # must say so (delivery errors are logged by core.mail with what the mail was about).
    transaction.on_commit(lambda: verification_withdrawn_send(log_id), robust=True)


def verification_withdrawn_send(log_id: int) -> None:
    """E-mail the intercommunality's people the identifying details that changed."""
    log = OrganisationLog.objects.select_related("organisation", "actor").get(pk=log_id)
    recipients = list(territory_admin_emails())
    if not recipients:
        return
    labels = {field: str(Organisation._meta.get_field(field).verbose_name) for field in log.changes}
    # E-mails are in French, whatever language the person who triggered them was using.
    with translation.override("fr"):
        link = settings.SITE_URL + reverse("accounts:structure-detail", args=[log.organisation_id])
        context = {
            "log": log,
            "link": link,
            "changes": [
                (labels[field], old or "—", new or "—") for field, (old, new) in log.changes.items()
            ],
        }
        body = render_to_string("emails/structure_verification_withdrawn.txt", context)
        subject = _("Structure to verify again: %(name)s") % {"name": log.organisation.name}
    mail_send(
        subject=subject,
        body=body,
        recipients=recipients,
        about=f"structure {log.organisation_id} sent back to verification",
    )


def invitation_on_commit(invitation: Invitation) -> None:
    """Send the invitation after commit; nothing leaves if the transaction rolls back."""
    transaction.on_commit(lambda: invitation_send(invitation), robust=True)


def invitation_send(invitation: Invitation) -> None:
    """E-mail the invited person the link that lets them join the organisation."""
    link = settings.SITE_URL + reverse("accounts:invitation-accept", args=[invitation.token])
    context = {"invitation": invitation, "link": link}
    mail_send(
        subject=_("Invitation to join %(name)s on Locaux Communs")
        % {"name": invitation.organisation.name},
        body=render_to_string("emails/invitation.txt", context),
        recipients=[invitation.email],
        about=f"invitation {invitation.pk}",
    )


def expiry_reminder_send(
    *,
    organisation: Organisation,
    kind: str,
    expires_on: date,
    threshold: int,
    today: date,
    members: list[str],
    managers: list[tuple[str, list[Any]]],
) -> int | None:
    """E-mail one expiry reminder: to each member of `organisation`, and to each manager of
    premises it occupies with those premises (`managers`: [(e-mail, sites)]).

    Returns the number of e-mails sent, or None if they could not be delivered (logged by
    core.mail; the caller leaves the reminder to a later run).
    """
    context = {
        "organisation": organisation,
        "kind": kind,
        "kind_label": EXPIRY_KIND_LABELS[kind],
        "expires_on": expires_on,
        "days_left": (expires_on - today).days,
        "threshold": threshold,
        "site_url": settings.SITE_URL,
    }
    subject = f"[Locaux Communs] {EXPIRY_SUBJECTS[kind]} — {organisation.name}"
    # E-mails are in French, the platform's language.
    with translation.override("fr"):
        to_structure = render_to_string("emails/expiry_structure.txt", context)
        mails = [Mail(subject, to_structure, [email]) for email in members]
        for email, sites in managers:
            body = render_to_string("emails/expiry_manager.txt", {**context, "sites": sites})
            mails.append(Mail(subject, body, [email]))
    about = f"{kind} reminder of organisation {organisation.pk}, {threshold} days"
    return len(mails) if mail_send_batch(mails=mails, about=about) else None
