"""Messages about accounts: structures registered, verified or sent back to verification,
invitations, and the expiry reminders of organisations' documents. Each goes through
`accounts.messaging` (an e-mail in the person's language and an entry in their notifications
list), in the transaction of the change it reports: it leaves after commit, and only if it
commits."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from accounts.messaging import notify_addresses, notify_users
from accounts.models import (
    Invitation,
    MembershipRole,
    Organisation,
    OrganisationLog,
    User,
)
from accounts.selectors import territory_admins


def _members(organisation: Organisation, *, admins_only: bool = False) -> QuerySet[User]:
    """The active accounts of `organisation` (its administrators only, if `admins_only`)."""
    users = User.objects.filter(memberships__organisation=organisation, is_active=True)
    if admins_only:
        users = users.filter(memberships__role=MembershipRole.ADMIN)
    return users.distinct().order_by("email")


def _emails(users: Iterable[User]) -> list[str]:
    return sorted({user.email for user in users})


def structure_registered_notify(organisation: Organisation, *, declarer: User) -> None:
    """Tell the intercommunality's people that a structure awaits their verification (replies
    go to whoever declared it), and the declarer what happens next. Call it in the transaction
    that registers the structure."""
    verifiers = territory_admins()
    context = {"organisation": organisation, "declarer": declarer}
    link = reverse("accounts:structure-detail", args=[organisation.pk])
    about = f"structure {organisation.pk} registered"
    notify_users(
        verifiers,
        message="structure_registered",
        context=context,
        link=link,
        reply_to=[declarer.email],
        about=about,
    )
    notify_users(
        [declarer],
        message="structure_registered_receipt",
        context=context,
        link=link,
        reply_to=_emails(verifiers),
        about=about,
    )


def structure_verified_notify(organisation: Organisation, *, actor: User) -> None:
    """Tell the structure's members that the intercommunality verified it: they may request
    space and apply to calls. Call it in the transaction of the verification."""
    notify_users(
        _members(organisation),
        message="structure_verified",
        context={"organisation": organisation},
        link=reverse("spaces:catalogue"),
        reply_to=[actor.email],
        about=f"structure {organisation.pk} verified",
    )


def _changes(log: OrganisationLog) -> list[tuple[Any, str, str]]:
    """(field's name, old value, new value) of each identifying detail that changed; names and
    choices stay lazy, so each recipient reads them in their language."""
    rows = []
    for name, (old, new) in log.changes.items():
        field = Organisation._meta.get_field(name)
        choices = dict(field.flatchoices) if field.choices else {}
        rows.append(
            (field.verbose_name, choices.get(old, old) or "—", choices.get(new, new) or "—")
        )
    return rows


def verification_withdrawn_notify(log: OrganisationLog) -> None:
    """A verified structure changed its identifying details and awaits verification again:
    tell the intercommunality's people (what changed, to check it again) and the structure's
    administrators (what it means for them). Call it in the transaction of the change."""
    log = OrganisationLog.objects.select_related("organisation", "actor").get(pk=log.pk)
    organisation = log.organisation
    context = {"log": log, "organisation": organisation, "changes": _changes(log)}
    about = f"structure {organisation.pk} sent back to verification"
    administrators = _members(organisation, admins_only=True)
    notify_users(
        territory_admins(),
        message="structure_verification_withdrawn",
        context=context,
        link=reverse("accounts:structure-detail", args=[organisation.pk]),
        reply_to=[log.actor.email] if log.actor else _emails(administrators),
        about=about,
    )
    notify_users(
        administrators,
        message="structure_verification_pending",
        context=context,
        link=reverse("accounts:structure-detail", args=[organisation.pk]),
        reply_to=_emails(territory_admins()),
        about=about,
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
    members: list[User],
    managers: list[tuple[User, list[Any]]],
) -> int:
    """Queue one expiry reminder: to each member of `organisation`, and to each manager of
    premises it occupies with those premises (`managers`: [(manager, sites)]). Both are
    reminders a person may switch off (topic "document_expiry"). Call it in the transaction
    that records the reminder. Returns the number of e-mails queued.
    """
    context = {
        "organisation": organisation,
        "kind": kind,
        "expires_on": expires_on,
        "days_left": (expires_on - today).days,
        "threshold": threshold,
    }
    about = f"{kind} reminder of organisation {organisation.pk}, {threshold} days"
    link = reverse("accounts:structure-detail", args=[organisation.pk])
    managers_emails = _emails(manager for manager, _sites in managers)
    count = notify_users(
        members,
        message="document_expiry",
        context=context,
        topic="document_expiry",
        link=link,
        reply_to=managers_emails,
        about=about,
    )
    # The managers' page is their list of agreements (bookings, above accounts: by its name).
    structure_contact = [organisation.email] if organisation.email else _emails(members)
    for manager, sites in managers:
        count += notify_users(
            [manager],
            message="document_expiry_manager",
            context={**context, "sites": sites},
            topic="document_expiry",
            link=reverse("bookings:allocation-list"),
            reply_to=structure_contact,
            about=about,
        )
    return count
