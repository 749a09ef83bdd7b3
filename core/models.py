"""Kernel models: the mail outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import MAX_SMALL_INTEGER, bounded


class MailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMail(models.Model):
    """One e-mail, written in the transaction of the change that causes it and sent after
    commit by `core.mail.outbox_deliver` (a job) or `core.mail.outbox_sweep` (every minute).

    A row exists if and only if the change committed. Delivery claims the row (pending →
    sending, with a fresh `claim_token`) by a conditional UPDATE, so two deliverers never send
    it both; the SMTP server accepts it, then the row is marked sent. The only duplicate window:
    a worker that dies after the server accepted the message and before the mark. Its claim goes
    stale after MAIL_CLAIM_TIMEOUT and the sweep sends the message again (at least once, never
    lost). `about` names what the message is about for the log and the admin, never a secret.
    """

    subject = SingleLineCharField(_("subject"), max_length=255)
    body = MultiLineTextField(_("body"))
    # The same message as HTML (an alternative part); "" sends plain text only.
    html_body = MultiLineTextField(_("HTML body"), blank=True)
    recipients = models.JSONField(_("recipients"), default=list)
    # Who answers: replies go there (the manager of a booking), not to the no-reply sender.
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    # Extra headers, e.g. List-Unsubscribe for reminders that can be switched off.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    from_email = SingleLineCharField(
        _("sender"), max_length=254, blank=True
    )  # "": DEFAULT_FROM_EMAIL
    about = SingleLineCharField(_("about"), max_length=200)
    status = SingleLineCharField(
        _("status"), max_length=10, choices=MailStatus, default=MailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, validators=bounded(0, MAX_SMALL_INTEGER)
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # The error's class and the server's reply, cut short: no body, no recipient.
    last_error = SingleLineCharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweep: pending mail that is due, and claims gone stale.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["status", "claimed_at"], name="outbox_claimed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MailStatus.values), name="outbox_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.about} ({self.get_status_display()})"
