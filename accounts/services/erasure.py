"""Erasure (GDPR art. 17): a person's account, and a structure's data at its request.

Nothing is deleted that has accounting or legal value: bookings, agreements, payments, invoices,
decisions and their logs keep pointing at the account, which is anonymised ("Former user #n",
no name, no address, no password) instead of deleted. What only serves the person goes: their
memberships (the last-administrator rule of accounts.services.members applies), invitations,
notifications, e-mails, calendar feeds, site-manager links, failed-login records. The list of
every table that points at a user, and what happens to it, is in docs/decisions.md.

The rows of the apps above accounts are reached through the steps they register
(accounts.dependents), in the same transaction.
"""

import re
from collections.abc import Iterable

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts import notifications
from accounts.actors import Actor, is_platform
from accounts.dependents import structure_erasure_steps, user_erasure_steps
from accounts.models import (
    Invitation,
    Membership,
    Notification,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
    User,
)
from accounts.selectors import user_is_territory_admin
from accounts.services.members import _membership_end_for_erasure
from core.history import history_actor
from core.models import OutboxMail

ERASED_EMAIL_DOMAIN = "invalid"  # RFC 2606: never delivered


def erased_email(user: User) -> str:
    """The unique, undeliverable address an erased account keeps (the column is unique)."""
    return f"former-user-{user.pk}@{ERASED_EMAIL_DOMAIN}"


def _check_may_erase(*, actor: Actor, user: User) -> None:
    """The person themselves, an operator allowed to delete accounts in the admin, or the
    platform (the retention job). Anyone else: PermissionDenied (a 404)."""
    if is_platform(actor):
        return
    if not actor.is_authenticated:
        raise PermissionDenied
    if actor.pk != user.pk and not actor.has_perm("accounts.delete_user"):
        raise PermissionDenied


def _needles(email: str, names: Iterable[str]) -> list[str]:
    """The strings that identify the person in a text: their address and full name (a first
    or last name alone names nobody), and their HTML-escaped forms."""
    found = [email, *(name for name in names if len(name.strip()) >= 5)]
    return sorted({form for text in found for form in (text, escape(text))}, key=len, reverse=True)


def _redact(text: str, needles: list[str], replacement: str) -> str:
    for needle in needles:
        # An address inside a longer one (bob@x.fr in jimbob@x.fr) is not this person's.
        text = re.sub(
            r"(?<![\w.+-])" + re.escape(needle) + r"(?![\w-])",
            replacement,
            text,
            flags=re.IGNORECASE,
        )
    return text


def _texts_redact(
    model: type[models.Model], fields: list[str], needles: list[str], replacement: str
) -> None:
    """Replace the person's address and name in the text columns of other people's rows."""
    match = Q()
    for field in fields:
        for needle in needles:
            match |= Q(**{f"{field}__icontains": needle})
    for row in model._base_manager.filter(match):
        changed = {field: _redact(getattr(row, field), needles, replacement) for field in fields}
        model._base_manager.filter(pk=row.pk).update(**changed)


def _outbox_forget(email: str, needles: list[str], replacement: str) -> None:
    """E-mails to the person go (sent or not: they hold the address and the text); the person's
    address leaves the others' recipients and Reply-To, their name the others' text."""
    for mail in OutboxMail.objects.filter(
        Q(recipients__icontains=email) | Q(reply_to__icontains=email)
    ):
        recipients = [a for a in mail.recipients if a.lower() != email.lower()]
        if not recipients:
            mail.delete()
            continue
        reply_to = [a for a in mail.reply_to if a.lower() != email.lower()]
        OutboxMail.objects.filter(pk=mail.pk).update(recipients=recipients, reply_to=reply_to)
    _texts_redact(OutboxMail, ["subject", "body", "html_body"], needles, replacement)


@transaction.atomic
def user_erase(*, user: User, actor: Actor) -> bool:
    """Erase a person's account: anonymise it and remove what only served them.

    Rows with accounting or legal value stay and point at the anonymised account. Their
    memberships end under the last-administrator rule; their structures' pending requests stay
    (they are the structure's). Sessions end: the password becomes unusable (the session's
    hash no longer matches) and the account inactive. Idempotent: False if already erased.
    Raises PermissionDenied unless the actor is the person, an operator allowed to delete
    accounts, or the platform.
    """
    _check_may_erase(actor=actor, user=user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at is not None:
        return False
    email = user.email
    replacement = _("Former user #%(number)s") % {"number": user.pk}
    needles = _needles(email, [user.get_full_name(), f"{user.last_name} {user.first_name}"])

    organisation_ids = (
        Membership.objects.filter(user=user)
        .order_by("organisation_id")
        .values_list("organisation_id", flat=True)
    )
    for organisation_id in list(organisation_ids):
        _membership_end_for_erasure(user=user, organisation_id=organisation_id)
    for step in user_erasure_steps():
        step(user=user, actor=actor)

    Invitation.objects.filter(
        Q(email__iexact=email) | Q(invited_by=user, accepted_at__isnull=True)
    ).delete()
    Notification.objects.filter(user=user).delete()
    _outbox_forget(email, needles, replacement)
    _texts_redact(Notification, ["subject", "body"], needles, replacement)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        # Without delete signals: axes' receivers expect its database handler (ours counts in
        # the cache, accounts/lockout.py, and never writes these tables).
        rows = model.objects.filter(username__iexact=email)
        rows._raw_delete(rows.db)
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(
        object_repr=replacement
    )
    _texts_redact(LogEntry, ["object_repr", "change_message"], needles, replacement)

    user.email = erased_email(user)
    user.first_name = user.last_name = user.phone = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.muted_topics = []
    user.last_login = None
    user.email_confirmed_at = None
    user.erased_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return True


# What a structure says about itself beyond its legal identity (kept: name, kind, SIREN, SIRET,
# RNA, legal category, ESS family, SIAE kind, ESUS approval date, verification).
STRUCTURE_PERSONAL_FIELDS = ("email", "phone", "website", "address", "description")
ERASABLE_KINDS = (OrganisationKind.ESS, OrganisationKind.OTHER)


@transaction.atomic
def structure_erase(*, organisation: Organisation, actor: User) -> bool:
    """Erase a structure's personal data at its request: the intercommunality only (else
    PermissionDenied, a 404).

    Its members are told, then stop being members (their accounts stay); its invitations and
    documents (with their files, once committed) go; its contact details are emptied, in its
    history too. Its pending requests and waiting-list entries are withdrawn through the apps'
    own services (accounts.dependents). Its legal identity, bookings, agreements, payments and
    invoices stay (docs/decisions.md). It can no longer request space. Idempotent: False if
    already erased. Raises ValidationError for an intercommunality or a commune.
    """
    if not user_is_territory_admin(actor):
        raise PermissionDenied
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.kind not in ERASABLE_KINDS:
        raise ValidationError(
            _("Only a structure's data are erased on request, not a public body's.")
        )
    if organisation.erased_at is not None:
        return False
    members = list(User.objects.filter(memberships__organisation=organisation))
    notifications.structure_data_erased_notify(organisation=organisation, users=members)
    for step in structure_erasure_steps():
        step(organisation=organisation, actor=actor)

    Membership.objects.filter(organisation=organisation).delete()
    Invitation.objects.filter(organisation=organisation).delete()
    for document in OrganisationDocument.objects.filter(organisation=organisation):
        document.delete()  # its file is deleted once this commits (core.storage)
    for field in STRUCTURE_PERSONAL_FIELDS:
        setattr(organisation, field, "")
    organisation.erased_at = timezone.now()
    with history_actor(actor):
        organisation.save(update_fields=[*STRUCTURE_PERSONAL_FIELDS, "erased_at"])
    Organisation.history.filter(id=organisation.pk).update(
        **dict.fromkeys(STRUCTURE_PERSONAL_FIELDS, "")
    )
    return True
