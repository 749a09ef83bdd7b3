"""Retention (issue 12): the daily job deletes or erases personal data past their period;
safe twice, and on two workers at once."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Invitation, Notification, User
from accounts.services.retention import retention_apply
from accounts.tasks import apply_retention
from core.models import MailStatus, OutboxMail
from tests.factories import InvitationFactory, UserFactory
from tests.helpers import race

pytestmark = pytest.mark.django_db


def _ago(days: int):
    return timezone.now() - timedelta(days=days)


def _unconfirmed(email: str, *, days: int) -> User:
    user = UserFactory(email=email, email_confirmed_at=None)
    User.objects.filter(pk=user.pk).update(date_joined=_ago(days))
    return user


def _mail(*, status: str, days: int) -> OutboxMail:
    mail = OutboxMail.objects.create(
        subject="Réservation confirmée",
        body="Bonjour",
        recipients=["quelqu-un@example.test"],
        about="test",
        status=status,
        next_attempt_at=_ago(days),
        sent_at=_ago(days) if status == MailStatus.SENT else None,
    )
    OutboxMail.objects.filter(pk=mail.pk).update(created_at=_ago(days))
    return mail


def _notification(user: User, *, days: int, read: bool) -> Notification:
    notification = Notification.objects.create(
        user=user, topic="t", subject="Sujet", body="Texte", read_at=_ago(days) if read else None
    )
    Notification.objects.filter(pk=notification.pk).update(created_at=_ago(days))
    return notification


def test_an_account_never_confirmed_for_a_year_is_deleted_when_nothing_points_at_it():
    abandoned = _unconfirmed("oubli@example.test", days=400)

    counts = retention_apply()

    assert counts["accounts_deleted"] == 1
    assert not User.objects.filter(pk=abandoned.pk).exists()


def test_an_abandoned_account_something_points_at_is_erased_instead():
    abandoned = _unconfirmed("inviteur@example.test", days=400)
    invitation = InvitationFactory(invited_by=abandoned)  # PROTECT: it cannot be deleted

    counts = retention_apply()

    abandoned.refresh_from_db()
    assert counts["accounts_erased"] == 1
    assert abandoned.is_erased
    assert abandoned.email == f"former-user-{abandoned.pk}@invalid"
    assert not Invitation.objects.filter(pk=invitation.pk).exists()  # pending: it went too


@pytest.mark.parametrize("case", ["recent", "confirmed", "signed in"])
def test_other_accounts_stay(case):
    user = _unconfirmed("garde@example.test", days=10 if case == "recent" else 400)
    if case == "confirmed":
        User.objects.filter(pk=user.pk).update(email_confirmed_at=_ago(399))
    if case == "signed in":
        User.objects.filter(pk=user.pk).update(last_login=_ago(300))

    retention_apply()

    user.refresh_from_db()
    assert not user.is_erased


def test_sent_mail_older_than_six_months_goes_and_the_rest_stays():
    old = _mail(status=MailStatus.SENT, days=200)
    given_up = _mail(status=MailStatus.FAILED, days=200)
    recent = _mail(status=MailStatus.SENT, days=10)
    waiting = _mail(status=MailStatus.PENDING, days=200)

    counts = retention_apply()

    assert counts["mails"] == 2
    remaining = set(OutboxMail.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, waiting.pk}
    assert old.pk not in remaining
    assert given_up.pk not in remaining


def test_read_notifications_older_than_a_year_go(outsider):
    old_read = _notification(outsider, days=400, read=True)
    old_unread = _notification(outsider, days=400, read=False)
    recent_read = _notification(outsider, days=10, read=True)

    counts = retention_apply()

    assert counts["notifications"] == 1
    assert set(Notification.objects.values_list("pk", flat=True)) == {
        old_unread.pk,
        recent_read.pk,
    }
    assert not Notification.objects.filter(pk=old_read.pk).exists()


def test_failed_login_records_older_than_a_year_go():
    for days in (400, 10):
        common = {"username": "x@example.test", "ip_address": "192.0.2.1", "path_info": "/"}
        # bulk_create: the tables are axes' database handler's; ours counts in the cache and
        # never writes them (accounts/lockout.py), but an earlier setup may have left rows.
        AccessAttempt.objects.bulk_create(
            [AccessAttempt(**common, user_agent=f"ua {days}", failures_since_start=3)]
        )
        AccessLog.objects.bulk_create([AccessLog(**common, user_agent=f"ua {days}")])
        for model in (AccessAttempt, AccessLog):
            model.objects.filter(user_agent=f"ua {days}").update(attempt_time=_ago(days))

    counts = retention_apply()

    assert counts["security_records"] == 2
    assert AccessAttempt.objects.count() == AccessLog.objects.count() == 1


def test_invitations_long_expired_go():
    old = InvitationFactory()
    Invitation.objects.filter(pk=old.pk).update(created_at=_ago(200))
    recent = InvitationFactory()

    retention_apply()

    assert list(Invitation.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_durations_are_settings(settings):
    settings.RETENTION_SENT_MAIL_DAYS = 30
    mail = _mail(status=MailStatus.SENT, days=40)

    retention_apply()

    assert not OutboxMail.objects.filter(pk=mail.pk).exists()


def test_a_second_run_finds_nothing_left():
    _unconfirmed("oubli@example.test", days=400)
    _mail(status=MailStatus.SENT, days=200)
    retention_apply()

    assert set(retention_apply().values()) == {0}


def test_the_task_and_the_command_run_the_same_service():
    _mail(status=MailStatus.SENT, days=200)
    out = io.StringIO()

    result = apply_retention()
    call_command("apply_retention", stdout=out)

    assert result["mails"] == 1
    assert "mails=0" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_erase_and_delete_each_row_once():
    abandoned = _unconfirmed("inviteur@example.test", days=400)
    InvitationFactory(invited_by=abandoned, email="autre@example.test")
    _unconfirmed("oubli@example.test", days=400)

    def run() -> tuple:
        return tuple(sorted(retention_apply().items()))

    outcomes = race([run, run])

    totals = {"accounts_erased": 0, "accounts_deleted": 0}
    for outcome in outcomes.elements():
        assert isinstance(outcome, tuple), outcome  # no run failed
        for name in totals:
            totals[name] += dict(outcome)[name]
    assert totals == {"accounts_erased": 1, "accounts_deleted": 1}
    assert User.objects.get(pk=abandoned.pk).is_erased
