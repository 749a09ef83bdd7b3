"""Messages about accounts: structures registered, verified or sent back to verification,
invitations, members and erasure, sign-up confirmation, passwords and addresses, and the expiry
reminders of organisations' documents. Each goes through
`accounts.messaging` (an e-mail in the person's language and an entry in their notifications
list), in the transaction of the change it reports: it leaves after commit, and only if it
commits."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.messaging import notify_addresses, notify_users, site_url
from accounts.models import (
    Invitation,
    Membership,
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


# --- Members, leaving, erasure ----------------------------------------------------------------


def _structure_link(organisation: Organisation) -> str:
    return reverse("accounts:structure-detail", args=[organisation.pk])


def _reply_to(actor: object) -> list[str]:
    """The address of the person who acted, when a person acted (not the platform)."""
    email = getattr(actor, "email", "")
    return [email] if email and getattr(actor, "erased_at", None) is None else []


def membership_role_changed_notify(*, membership: Membership, actor: object) -> None:
    """Tell a member their role in the structure changed (who changed it can answer)."""
    notify_users(
        [membership.user],
        message="membership_role_changed",
        context={
            "organisation": membership.organisation,
            "is_admin": membership.role == MembershipRole.ADMIN,
            "actor": actor if actor.is_authenticated else None,
        },
        link=_structure_link(membership.organisation),
        reply_to=_reply_to(actor),
        about=f"membership {membership.pk} role changed to {membership.role}",
    )


def membership_removed_notify(*, user: User, organisation: Organisation, actor: object) -> None:
    """Tell a person they were removed from a structure (who removed them can answer)."""
    notify_users(
        [user],
        message="membership_removed",
        context={"organisation": organisation, "actor": actor},
        reply_to=_reply_to(actor),
        about=f"user {user.pk} removed from organisation {organisation.pk}",
    )


def membership_left_notify(*, user: User, organisation: Organisation) -> None:
    """Tell the structure's administrators that a member left it."""
    admins = User.objects.filter(
        memberships__organisation=organisation, memberships__role=MembershipRole.ADMIN
    )
    notify_users(
        admins,
        message="membership_left",
        context={"organisation": organisation, "member": user},
        link=_structure_link(organisation),
        reply_to=_reply_to(user),
        about=f"user {user.pk} left organisation {organisation.pk}",
    )


def membership_promoted_notify(*, membership: Membership) -> None:
    """Tell the longest-standing member they became the structure's administrator, its last
    administrator's account having been closed."""
    notify_users(
        [membership.user],
        message="membership_promoted",
        context={"organisation": membership.organisation},
        link=_structure_link(membership.organisation),
        about=f"membership {membership.pk} promoted: last administrator erased",
    )


def structure_without_members_notify(*, organisation: Organisation) -> None:
    """Tell the intercommunality's people that a structure has nobody left to act for it; they
    can invite a new administrator from its page."""
    notify_users(
        territory_admins(),
        message="structure_without_members",
        context={"organisation": organisation},
        link=_structure_link(organisation),
        about=f"organisation {organisation.pk} has no member left",
    )


def structure_data_erased_notify(*, organisation: Organisation, users: list[User]) -> None:
    """Tell a structure's members that the intercommunality erased its data (their accounts
    stay; they are no longer its members)."""
    notify_users(
        users,
        message="structure_data_erased",
        context={"organisation": organisation, "contact_of_territory": settings.CONTACT_EMAIL},
        reply_to=[settings.CONTACT_EMAIL] if settings.CONTACT_EMAIL else [],
        about=f"organisation {organisation.pk} data erased",
    )


# --- Sign-up confirmation, passwords, change of address ---------------------------------------
# Links that carry a credential (confirmation, reset, change of address) go to the address
# only (`notify_addresses`), never into the notifications list; notices go to the account.


def signup_confirmation_notify(user: User, token: str) -> None:
    """Queue the link that confirms the address of a new (or still unconfirmed) account."""
    notify_addresses(
        [user.email],
        message="signup_confirm",
        context={"user": user},
        language=user.language,
        link=reverse("accounts:signup-confirm", args=[token]),
        about=f"user {user.pk}, confirmation of the address",
    )


def signup_existing_account_notify(user: User) -> None:
    """Tell the owner of an account that someone tried to sign up with its address (the sign-up
    page does not say so), with the sign-in and reset links."""
    notify_users(
        [user],
        message="signup_existing",
        context={"reset_url": site_url(reverse("accounts:password-reset"))},
        link=reverse("accounts:login"),
        about=f"user {user.pk}, sign-up tried with its address",
    )


def password_reset_notify(user: User, token: str) -> None:
    """Queue the password reset link (Django's token, valid PASSWORD_RESET_TIMEOUT)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    notify_addresses(
        [user.email],
        message="password_reset",
        context={"user": user, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        language=user.language,
        link=reverse("accounts:password-reset-confirm", args=[uidb64, token]),
        about=f"user {user.pk}, password reset",
    )


def password_changed_notify(user: User) -> None:
    """Tell the account its password changed (by a reset or on the profile), in case it was
    not the person."""
    notify_users(
        [user],
        message="password_changed",
        context={"reset_url": site_url(reverse("accounts:password-reset"))},
        about=f"user {user.pk}, password changed",
    )


def email_change_confirmation_notify(user: User, new_email: str, token: str) -> None:
    """Queue, to the new address, the link that moves the account to it."""
    notify_addresses(
        [new_email],
        message="email_change_confirm",
        context={"user": user, "new_email": new_email},
        language=user.language,
        link=reverse("accounts:email-change-confirm", args=[token]),
        about=f"user {user.pk}, change of address to confirm",
    )


def email_change_address_taken_notify(owner: User) -> None:
    """Tell the owner of an address that someone asked to move another account to it: nothing
    changes and nothing is asked of them (the form did not say the address was taken)."""
    notify_users(
        [owner],
        message="email_change_taken",
        context={},
        about=f"user {owner.pk}, address asked for another account",
    )


def email_changed_notify(user: User, old_email: str) -> None:
    """Tell the old address that the account now uses another one (the new one is not named in
    full: the old mailbox may no longer be the person's)."""
    notify_addresses(
        [old_email],
        message="email_changed",
        context={"user": user, "old_email": old_email, "new_email": _masked(user.email)},
        language=user.language,
        about=f"user {user.pk}, address changed",
    )


def _masked(email: str) -> str:
    """ "c•••••@exemple.fr": enough for the person to recognise their new address."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••••@{domain}"
