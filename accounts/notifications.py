"""E-mails about accounts: invitations, structures sent back to verification, and the expiry
reminders of organisations' documents. In French, written to the outbox in the transaction that
causes them (core/mail.py): they leave after commit, and only if it commits."""

from datetime import date
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.messaging import notify_addresses
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


def verification_withdrawn_notify(log: OrganisationLog) -> None:
    """Queue the e-mail telling the intercommunality's people that a structure needs verifying
    again, with the identifying details that changed. Call it in the transaction of the change."""
    log = OrganisationLog.objects.select_related("organisation", "actor").get(pk=log.pk)
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


def invitation_notify(invitation: Invitation) -> None:
    """Queue the e-mail giving the invited person the link that lets them join the
    organisation (an address, perhaps with no account yet: French). Call it in the transaction
    that creates the invitation."""
    notify_addresses(
        [invitation.email],
        message="invitation",
        context={"invitation": invitation},
        link=reverse("accounts:invitation-accept", args=[invitation.token]),
        reply_to=[invitation.invited_by.email],
        about=f"invitation {invitation.pk}",
    )


def expiry_reminder_notify(
    *,
    organisation: Organisation,
    kind: str,
    expires_on: date,
    threshold: int,
    today: date,
    members: list[str],
    managers: list[tuple[str, list[Any]]],
) -> int:
    """Queue one expiry reminder: to each member of `organisation`, and to each manager of
    premises it occupies with those premises (`managers`: [(e-mail, sites)]). Call it in the
    transaction that records the reminder. Returns the number of e-mails queued.
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
    return len(mail_send_batch(mails=mails, about=about))
