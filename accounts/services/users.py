"""Writes on accounts: sign-up and its confirmation, password reset and change, change of
e-mail address, profile, notifications read.

An address is proven by a link sent to it (accounts/tokens.py, or Django's password reset
token): until then the account cannot sign in, and no answer of the sign-up, reset or change
forms tells whether an address has an account (the message goes to the address instead).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import notifications
from accounts.actors import Actor
from accounts.messaging import OPTIONAL_TOPICS, unsubscribe_read
from accounts.models import Notification, User
from accounts.selectors import email_change_pending, email_confirmation_pending, user_get_by_email
from accounts.tokens import email_change_token, email_confirmation_token

PROFILE_FIELDS = ("first_name", "last_name", "phone", "language", "muted_topics")


def user_profile_update(*, user: User, actor: Actor) -> User:
    """Save what a person says about themselves (name, phone, language, the optional e-mails
    they switched off). Only the person themselves (else PermissionDenied, a 404)."""
    if not actor.is_authenticated or actor.pk != user.pk:
        raise PermissionDenied
    user.muted_topics = sorted(set(user.muted_topics or []) & set(OPTIONAL_TOPICS))
    user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in PROFILE_FIELDS])
    user.save(update_fields=PROFILE_FIELDS)
    return user


def notifications_mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications `ids` (all of them if None) read; another person's
    notifications are not touched. Returns how many changed."""
    if not actor.is_authenticated:
        raise PermissionDenied
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def topic_unsubscribe(*, token: str) -> tuple[User, str] | None:
    """Switch off the reminder a `List-Unsubscribe` link names; the signed token is the
    credential (the link works without signing in, as RFC 8058 asks). Returns (user, topic),
    or None for a token that is not ours or an account that no longer exists."""
    found = unsubscribe_read(token)
    if found is None:
        return None
    user_id, topic = found
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, erased_at__isnull=True).first()
        if user is None:
            return None
        if topic not in (user.muted_topics or []):
            user.muted_topics = sorted({*(user.muted_topics or []), topic})
            user.save(update_fields=["muted_topics"])
    return user, topic


# --- Sign-up and its confirmation ----------------------------------------------------------


@dataclass(frozen=True)
class Signup:
    user: User  # the account created, or the one that already had the address
    # True when the person who signed up chose this account's password (a new account, or an
    # unconfirmed one whose sign-up they repeat with the same password): the link then
    # confirms in the same browser without asking for it again.
    password_chosen: bool


def user_signup(
    *, email: str, password: str, first_name: str = "", last_name: str = "", next_url: str = ""
) -> Signup:
    """Sign up with `email`, never saying whether it already has an account (the answer to the
    person is the same; the address's owner is told instead):

    - a new address: the account is created unconfirmed (it cannot sign in) and a confirmation
      link goes to the address;
    - an unconfirmed account: a fresh confirmation link goes to the address (its password and
      names stay: whoever opens the link elsewhere must type that password; the real owner of
      a squatted address takes it back with "Forgotten password", which confirms it);
    - a confirmed account: its owner is told someone tried, with the sign-in and reset links.

    `next_url` (a path of the site) is where the confirmation link leads. One password hash is
    computed in every case, so the time taken does not tell the cases apart either.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    with transaction.atomic():
        existing = user_get_by_email(email)
        if existing is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        email=email, password=password, first_name=first_name, last_name=last_name
                    )
            except IntegrityError:  # the same address signed up at the same moment
                existing = user_get_by_email(email)
                if existing is None:
                    raise
            else:
                _confirmation_send(user, next_url)
                return Signup(user=user, password_chosen=True)
        chosen = existing.check_password(password)
        if existing.email_confirmed:
            notifications.signup_existing_account_notify(existing)
            return Signup(user=existing, password_chosen=False)
        _confirmation_send(existing, next_url)
        return Signup(user=existing, password_chosen=chosen)


def _confirmation_send(user: User, next_url: str) -> None:
    if not user.is_active or user.erased_at is not None:
        return
    token = email_confirmation_token(user_id=user.pk, email=user.email, next_url=next_url)
    notifications.signup_confirmation_notify(user, token)


def confirmation_resend(*, email: str, next_url: str = "") -> None:
    """Send a fresh confirmation link if `email` is the address of an account awaiting its
    confirmation; nothing otherwise (the person is told the same either way)."""
    with transaction.atomic():
        user = user_get_by_email(email)
        if user is not None and not user.email_confirmed:
            _confirmation_send(user, next_url)


def email_confirm(*, token: str) -> User:
    """Confirm the address a sign-up link was sent to (`token`, the credential: whoever opened
    the link holds the address). Works once; ValidationError (code "invalid", "expired" or
    "used") otherwise. Signing the person in is the view's part."""
    pending = email_confirmation_pending(token=token)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=pending.user.pk)
        if user.email_confirmed_at is not None:  # opened twice at the same moment
            raise ValidationError(
                _("This link was already used: your address is confirmed. Sign in."), code="used"
            )
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    return user


# --- Passwords -----------------------------------------------------------------------------


def password_reset_request(*, email: str) -> int:
    """Send a password reset link to `email` if it is the address of an active account; nothing
    otherwise (the page says the same either way). Returns how many links were sent (0 or 1)."""
    with transaction.atomic():
        user = user_get_by_email(email)
        if user is None or not user.is_active or user.erased_at is not None:
            return 0
        notifications.password_reset_notify(user, default_token_generator.make_token(user))
    return 1


def password_reset_complete(*, user: User, token: str, password: str) -> User:
    """Set the password of `user` from a reset link: `token` (Django's reset token, the
    credential) must still be valid for the account, else ValidationError. The link reached the
    account's address, so an unconfirmed address is confirmed by it (how the owner of an address
    someone else signed up with takes it back). The new password ends every other session (the
    session keeps a hash of the password); the account is told its password changed."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        usable = user.is_active and user.erased_at is None
        if not usable or not default_token_generator.check_token(user, token):
            raise ValidationError(
                _("This link is no longer valid: ask for a new one."), code="invalid"
            )
        user.set_password(password)
        fields = ["password"]
        if user.email_confirmed_at is None:
            user.email_confirmed_at = timezone.now()
            fields.append("email_confirmed_at")
        user.save(update_fields=fields)
        notifications.password_changed_notify(user)
    return user


def password_change(*, user: User, actor: Actor, password: str) -> User:
    """Set a new password for the signed-in person (the form checked the current one). Only the
    person themselves (else PermissionDenied). Their other sessions end; they are told by
    e-mail, in case it was not them."""
    if not actor.is_authenticated or actor.pk != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        notifications.password_changed_notify(user)
    return user


# --- Change of e-mail address --------------------------------------------------------------


def email_change_request(*, user: User, actor: Actor, new_email: str, password: str) -> None:
    """Ask to move the account to `new_email`: the person confirms with their current password,
    and a link valid 3 days goes to the new address; nothing changes until it is opened.

    Whether `new_email` already has an account is not told: the answer is the same, and the
    owner of that address gets a notice with nothing to act on. Only the person themselves
    (else PermissionDenied); a wrong password or the current address is a ValidationError."""
    if not actor.is_authenticated or actor.pk != user.pk:
        raise PermissionDenied
    new_email = User.objects.normalize_email(new_email.strip()).lower()
    if not user.check_password(password):
        raise ValidationError({"password": _("The password is not correct.")})
    if new_email == user.email.lower():
        raise ValidationError({"email": _("This is already the address of your account.")})
    with transaction.atomic():
        owner = user_get_by_email(new_email)
        if owner is not None:
            notifications.email_change_address_taken_notify(owner)
            return
        token = email_change_token(user_id=user.pk, old_email=user.email, new_email=new_email)
        notifications.email_change_confirmation_notify(user, new_email, token)


def email_change_confirm(*, token: str) -> User:
    """Move the account to the new address of a change link (`token`, the credential: whoever
    opened it holds the new address), confirmed as of now; the old address is told. Works
    once. ValidationError (code "invalid", "expired", "used", or "taken" if another account
    took the address meanwhile) otherwise."""
    pending = email_change_pending(token=token)
    taken = ValidationError(
        _(
            "Another account now uses %(email)s: this address cannot be given to yours. "
            "Sign in with it, or ask for the change again with another address."
        )
        % {"email": pending.new_email},
        code="taken",
    )
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=pending.user.pk)
            if user.email != pending.user.email:  # changed by the same link opened twice
                raise ValidationError(
                    _("This link was already used: your account already uses this address."),
                    code="used",
                )
            if user_get_by_email(pending.new_email) is not None:
                raise taken
            old_email = user.email
            user.email = pending.new_email
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email", "email_confirmed_at"])
            notifications.email_changed_notify(user, old_email)
    except IntegrityError as exc:  # taken between the check and the save
        raise taken from exc
    return user
