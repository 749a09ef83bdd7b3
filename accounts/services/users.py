"""Writes on accounts: sign-up, profile, notifications read."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.messaging import OPTIONAL_TOPICS, unsubscribe_read
from accounts.models import Notification, User
from accounts.selectors import user_get_by_email


def user_signup(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Create an account. Raises ValidationError if the e-mail address is already used."""
    if user_get_by_email(email) is not None:
        raise ValidationError({"email": _("An account already exists with this e-mail address.")})
    return User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )


PROFILE_FIELDS = ("first_name", "last_name", "phone", "language", "muted_topics")


def user_profile_update(*, user: User, actor: Actor) -> User:
    """Save what a person says about themselves (name, phone, language, the optional e-mails
    they switched off). Only the person themselves (else PermissionDenied, a 404)."""
    if not getattr(actor, "is_authenticated", False) or actor.pk != user.pk:
        raise PermissionDenied
    user.muted_topics = sorted(set(user.muted_topics or []) & set(OPTIONAL_TOPICS))
    user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in PROFILE_FIELDS])
    user.save(update_fields=PROFILE_FIELDS)
    return user


def notifications_mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications `ids` (all of them if None) read; another person's
    notifications are not touched. Returns how many changed."""
    if not getattr(actor, "is_authenticated", False):
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
