"""Retention: personal data kept no longer than needed (GDPR art. 5-1-e), as a daily job.

Durations are settings (RETENTION_*, with environment overrides; config/settings.py). Safe to
run twice, or on two workers at once: every part is a DELETE by a condition on the rows' age
(a second run finds nothing left), and each abandoned account is re-read under its row lock
before it goes, so an address confirmed meanwhile keeps its account, and two runs erase it once
(`user_erase` is idempotent).
"""

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError, Q, QuerySet, RestrictedError
from django.utils import timezone

from accounts.actors import PLATFORM
from accounts.models import INVITATION_VALIDITY, Invitation, Membership, Notification, User
from accounts.selectors import users_unconfirmed_since
from accounts.services.erasure import user_erase
from core.models import MailStatus, OutboxMail


def _days(name: str) -> timedelta:
    return timedelta(days=getattr(settings, name))


def _abandoned(now: datetime) -> QuerySet[User]:
    return users_unconfirmed_since(before=now - _days("RETENTION_UNCONFIRMED_ACCOUNT_DAYS"))


def _account_drop(user_id: int, *, now: datetime) -> str:
    """Delete an abandoned account outright when nothing points at it, else erase it."""
    with transaction.atomic():
        user = _abandoned(now).select_for_update().filter(pk=user_id).first()
        if user is None:  # confirmed meanwhile, or another run took it
            return ""
        if not Membership.objects.filter(user=user).exists():
            try:
                with transaction.atomic():
                    user.delete()
            except (ProtectedError, RestrictedError):
                pass  # a booking, a log… points at it: erased below
            else:
                return "deleted"
        user_erase(user=user, actor=PLATFORM)
        return "erased"


def _rows_delete_raw(rows: QuerySet) -> int:
    """DELETE the rows without Django's delete signals. Axes listens to the deletion of its
    attempts to update its own handler, which ours (a cache handler, accounts/lockout.py) is
    not: a signalled delete would fail. These tables are only written by axes' database
    handler (an earlier setup); nothing points at their rows."""
    return rows._raw_delete(rows.db)


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Apply the retention periods; returns how many rows of each kind went."""
    now = now or timezone.now()
    counts = {"accounts_deleted": 0, "accounts_erased": 0}
    for user_id in list(_abandoned(now).values_list("pk", flat=True)):
        outcome = _account_drop(user_id, now=now)
        if outcome:
            counts[f"accounts_{outcome}"] += 1

    mail_before = now - _days("RETENTION_SENT_MAIL_DAYS")
    counts["mails"] = OutboxMail.objects.filter(
        Q(status=MailStatus.SENT, sent_at__lt=mail_before)
        | Q(status=MailStatus.FAILED, created_at__lt=mail_before)
    ).delete()[0]
    counts["notifications"] = Notification.objects.filter(
        read_at__isnull=False,
        created_at__lt=now - _days("RETENTION_READ_NOTIFICATION_DAYS"),
    ).delete()[0]
    counts["invitations"] = Invitation.objects.filter(
        accepted_at__isnull=True,
        created_at__lt=now - INVITATION_VALIDITY - _days("RETENTION_EXPIRED_INVITATION_DAYS"),
    ).delete()[0]
    security_before = now - _days("RETENTION_SECURITY_LOG_DAYS")
    counts["security_records"] = sum(
        _rows_delete_raw(model.objects.filter(attempt_time__lt=security_before))
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )
    return counts
