"""Kernel models: the queue every row that leaves the platform waits in, and the mail outbox."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import MAX_SMALL_INTEGER, bounded


class QueueStatus:
    """The states every queue shares (core/queue.py); a queue's choices add the state of a row
    that left (sent, delivered). The values are the columns', not labels."""

    PENDING = "pending"
    SENDING = "sending"
    FAILED = "failed"


class QueuedRow(models.Model):
    """A row of a work queue (core/queue.py): claimed by one worker at a time (pending →
    sending, with a fresh `claim_token`, by one conditional UPDATE), the attempt counted at the
    claim, retried at `next_attempt_at` with backoff, failed after the last attempt; a claim
    older than the queue's timeout is taken again by the sweep. The mail outbox (`OutboxMail`)
    and the webhook deliveries (`integrations.WebhookDelivery`) are its queues.

    A queue redeclares `status` with its choices (QueueStatus's values and its own "left"
    state), a check constraint on them, and the sweep's indexes (`queue_indexes`).
    """

    status = SingleLineCharField(_("status"), max_length=10, default=QueueStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, validators=bounded(0, MAX_SMALL_INTEGER)
    )
    # None: no attempt planned (a paused endpoint's deliveries, a failed delivery); a queue
    # whose rows always have a time redeclares it NOT NULL.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # The error's class and message, on one line, cut short (core.queue.queue_error_text).
    last_error = SingleLineCharField(_("last error"), max_length=300, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True)

    class Meta:
        abstract = True


def queue_indexes(prefix: str) -> list[models.Index]:
    """The sweep's indexes for a queue (its WHERE: pending and due, or sending with a claim
    older than the timeout): `<prefix>_due` and `<prefix>_claimed`."""
    return [
        models.Index(fields=["status", "next_attempt_at"], name=f"{prefix}_due"),
        models.Index(fields=["status", "claimed_at"], name=f"{prefix}_claimed"),
    ]


class MailStatus(models.TextChoices):
    PENDING = QueueStatus.PENDING, _("Pending")
    SENDING = QueueStatus.SENDING, _("Sending")
    SENT = "sent", _("Sent")
    FAILED = QueueStatus.FAILED, _("Failed")


class OutboxMail(QueuedRow):
    """One e-mail, written in the transaction of the change that causes it and sent after
    commit by `core.mail.outbox_deliver` (a job) or `core.mail.outbox_sweep` (every minute).

    A row exists if and only if the change committed. Delivery claims the row (the queue's
    claim, `QueuedRow`), so two deliverers never send it both; the SMTP server accepts it, then
    the row is marked sent. The only duplicate window: a worker that dies after the server
    accepted the message and before the mark. Its claim goes stale after MAIL_CLAIM_TIMEOUT and the sweep sends the message again (at least once, never
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
    # Always set: a failed message keeps the time it failed. (last_error: the error's class and
    # the server's reply with addresses masked: no body, no recipient.)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-pk"]
        # The sweep: pending mail that is due, and claims gone stale.
        indexes = queue_indexes("outbox")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MailStatus.values), name="outbox_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.about} ({self.get_status_display()})"


class StatusLog(models.Model):
    """One row per status change of an object: from, to, who (None: the platform), why, when;
    the oldest first. A log adds its object, a ForeignKey named `LOGGED` (related_name "log"),
    and redeclares `from_status` and `to_status` with its status's choices (same length).
    The campaigns' (seasons.CampaignLog), the calls' and the applications' (calls.CallLog,
    calls.ApplicationLog)."""

    LOGGED = ""  # the name of the log's ForeignKey to its object

    from_status = SingleLineCharField(max_length=10, blank=True)
    to_status = SingleLineCharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = MultiLineTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        subject = getattr(self, f"{self.LOGGED}_id")
        return f"{subject}: {self.from_status or '∅'} → {self.to_status}"
