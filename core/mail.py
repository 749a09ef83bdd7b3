"""Sending e-mail through a transactional outbox: nothing lost, a failure never undoes a change.

Every e-mail of the platform leaves through `mail_send` (one message) or `mail_send_batch`
(several), called only from the apps' notification modules (`<app>/notifications.py`) inside
the transaction of the change that causes it. They write `OutboxMail` rows in that transaction
(the rows exist if and only if the change commits) and, after commit, send the job
`core.tasks.outbox_deliver` with the rows' ids. The job claims each row, sends it over SMTP and
marks it sent; a refused or unreachable server leaves it pending with a later `next_attempt_at`
(exponential backoff, capped), and after MAIL_MAX_ATTEMPTS it is marked failed and logged at
ERROR (admin list, /healthz detail). `outbox_sweep`, run every minute by beat, sends what is
due: a broker or a mail server that was down at commit time only delays mail. The claim, the
backoff, the stale claims and the sweep's selection are the queue kernel's (core/queue.py);
this module sends over SMTP, masks addresses and logs.

Without a broker (the SQLite demo) the job runs in-process after commit, through the console
backend. The only duplicate window is documented on `OutboxMail`.
"""

import contextlib
import functools
import logging
import re
import smtplib
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.db.models import Count, Q
from django.utils import timezone

from core.jobs import job_after_commit
from core.models import MailStatus, OutboxMail
from core.queue import (
    QueuePolicy,
    queue_claim,
    queue_error_text,
    queue_mark_done,
    queue_mark_failed_attempt,
    queue_sweep,
)

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 150
# How many due messages one sweep takes; the next sweep takes the rest.
SWEEP_BATCH = 500
# /healthz: pending mail older than this means delivery is stuck (broker, worker or server).
PENDING_TOO_LONG = timedelta(minutes=15)

# What a mail server or a header can refuse: SMTP errors, a refused or broken connection
# (OSError covers ConnectionRefusedError and socket timeouts) and a header with a newline.
DELIVERY_ERRORS = (smtplib.SMTPException, OSError, BadHeaderError)
ADDRESS = re.compile(r"[^\s<>'\"@]+@[^\s<>'\"@]+")
LOST_WORKER = "The worker sending it stopped during its last attempt"


def mail_subject(text: str, max_length: int | None = SUBJECT_MAX_LENGTH) -> str:
    """`text` on one line: every run of whitespace or control characters becomes one space
    (a newline in a space's name would otherwise be refused as a header injection), cut at
    `max_length` characters with an ellipsis (None: not cut, for a header holding a link)."""
    cleaned = "".join(
        " " if char.isspace() or unicodedata.category(char)[0] in "CZ" else char for char in text
    )
    subject = " ".join(cleaned.split())
    if max_length is not None and len(subject) > max_length:
        subject = subject[: max_length - 1].rstrip() + "…"
    return subject


@dataclass(frozen=True)
class Mail:
    """One e-mail of a batch: a plain-text body, and optionally the same as HTML, the addresses
    replies go to and extra headers (List-Unsubscribe)."""

    subject: str
    body: str
    recipients: list[str]
    html: str = ""
    reply_to: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    # What this e-mail is about when a batch holds several subjects (else the batch's `about`).
    about: str = ""


def mail_send(*, subject: str, body: str, recipients: list[str], about: str) -> OutboxMail:
    """Put one e-mail in the outbox, with a one-line subject; it leaves after commit.

    Call it inside the transaction of the change the e-mail reports: if that rolls back, no
    e-mail exists. `about` (e.g. "booking 12, approved") names it in the log and the admin.
    """
    [row] = mail_send_batch(mails=[Mail(subject, body, recipients)], about=about)
    return row


def mail_send_batch(*, mails: Sequence[Mail], about: str) -> list[OutboxMail]:
    """Put `mails` in the outbox, each with a one-line subject; they leave after commit, in one
    job (over one SMTP connection). Same transaction rule as `mail_send`."""
    from core.tasks import outbox_deliver  # core.tasks imports this module

    now = timezone.now()
    rows = [
        OutboxMail(
            subject=mail_subject(mail.subject),
            body=mail.body,
            html_body=mail.html,
            recipients=list(mail.recipients),
            reply_to=list(mail.reply_to),
            headers={name: mail_subject(value, None) for name, value in mail.headers.items()},
            about=(mail.about or about)[:200],
            next_attempt_at=now,
        )
        for mail in mails
    ]
    if rows:
        # One INSERT for the batch (a day's reminders); PostgreSQL and SQLite return the ids.
        OutboxMail.objects.bulk_create(rows)
        # If the broker is down the job is not sent (logged): the sweep sends the rows.
        job_after_commit(outbox_deliver, [row.pk for row in rows])
    return rows


def _policy() -> QueuePolicy:
    """Exponential backoff: MAIL_RETRY_DELAY doubled after each failed attempt, capped at
    MAIL_RETRY_DELAY_MAX; failed at MAIL_MAX_ATTEMPTS."""
    return QueuePolicy(
        claim_timeout=settings.MAIL_CLAIM_TIMEOUT,
        retry_delays=tuple(
            min(settings.MAIL_RETRY_DELAY * 2**step, settings.MAIL_RETRY_DELAY_MAX)
            for step in range(settings.MAIL_MAX_ATTEMPTS - 1)
        ),
    )


def _error_text(error: BaseException | str) -> str:
    """The error for the row and the log: its class and the server's reply, addresses masked
    (a refusal quotes the recipient: personal data the log and the admin list need not hold)."""
    return queue_error_text(error, mask=functools.partial(ADDRESS.sub, "<address>"))


def _mark_failed_attempt(row: OutboxMail, token: uuid.UUID, error: BaseException | str) -> None:
    """Record that the attempt of `row` (as claimed) failed: retry later, or failed for good."""
    attempts = row.attempts
    final = queue_mark_failed_attempt(
        OutboxMail.objects,
        row.pk,
        token,
        attempts=attempts,
        error=_error_text(error),
        policy=_policy(),
        now=timezone.now(),
    )
    if final:
        logger.error(
            "E-mail failed after %s attempts (%s), outbox %s: %s",
            attempts,
            row.about,
            row.pk,
            _error_text(error),
        )
    else:
        logger.warning(
            "E-mail not delivered (%s), outbox %s, attempt %s: %s",
            row.about,
            row.pk,
            attempts,
            _error_text(error),
        )


def outbox_deliver(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Send the outbox rows `ids` that are due at `now`, over one SMTP connection. Returns how
    many were sent. Rows already sent, failed, not yet due or taken by another deliverer are
    skipped; a delivery error is recorded on its row (retried later, or failed), never raised.
    """
    pks = sorted(OutboxMail.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))
    policy = _policy()
    sent = 0
    connection = get_connection()
    try:
        for pk in pks:
            # Claimed one at a time, just before sending: a claim is never older than one
            # SMTP exchange (EMAIL_TIMEOUT), far below MAIL_CLAIM_TIMEOUT.
            token = queue_claim(OutboxMail.objects, pk, policy=policy, now=now or timezone.now())
            if token is None:
                continue
            row = OutboxMail.objects.get(pk=pk)
            if row.attempts > policy.max_attempts:  # retaken after its last attempt
                row.attempts = policy.max_attempts  # the retake is not an attempt
                _mark_failed_attempt(row, token, LOST_WORKER)
                continue
            message = EmailMultiAlternatives(
                row.subject,
                row.body,
                row.from_email or None,
                row.recipients,
                reply_to=row.reply_to or None,
                headers=row.headers or None,
            )
            if row.html_body:
                message.attach_alternative(row.html_body, "text/html")
            try:
                # Opened here (a no-op once open) so that send_messages keeps it for the next.
                connection.open()
                connection.send_messages([message])
            except DELIVERY_ERRORS as error:
                _mark_failed_attempt(row, token, error)
                _close_quietly(connection)  # the next message opens a fresh connection
                continue
            marked = queue_mark_done(
                OutboxMail.objects, pk, token, status=MailStatus.SENT, sent_at=timezone.now()
            )
            if not marked:  # our claim went stale and was retaken: the documented window
                logger.warning("E-mail %s (%s) sent after its claim expired", pk, row.about)
            sent += 1
    finally:
        _close_quietly(connection)
    return sent


def _close_quietly(connection) -> None:
    with contextlib.suppress(*DELIVERY_ERRORS):  # a broken connection is dropped either way
        connection.close()


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Send the outbox rows that are due: pending mail whose attempt time has come (its job was
    lost with the broker, or the server refused it) and claims of workers that died. Run every
    minute by beat; safe on several workers at once (each row is claimed). Returns how many
    were sent."""
    now = now or timezone.now()
    ids = queue_sweep(OutboxMail.objects, policy=_policy(), now=now, batch=SWEEP_BATCH)
    return outbox_deliver(ids=ids, now=now) if ids else 0


def outbox_retry(*, ids: Iterable[int]) -> int:
    """Put failed rows `ids` back in the queue (the admin's "retry" action), attempts reset.
    Returns how many; the next sweep, or the job sent after commit, sends them."""
    from core.tasks import outbox_deliver as deliver_task  # core.tasks imports this module

    ids = list(ids)
    count = OutboxMail.objects.filter(pk__in=ids, status=MailStatus.FAILED).update(
        status=MailStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if count:
        job_after_commit(deliver_task, ids)
    return count


class OutboxHealth(TypedDict):
    status: str  # "ok", or "degraded": mail failed or stuck; the site still serves
    failed: int
    pending_too_long: int


def outbox_health(*, now: datetime | None = None) -> OutboxHealth:
    """For /healthz: how many messages failed for good, and how many have waited longer than
    PENDING_TOO_LONG (the broker, the workers or the mail server are not keeping up)."""
    now = now or timezone.now()
    # One query for the probe (polled every 10 s), over the two statuses' index entries only:
    # sent mail, the bulk of the table, is not read.
    waiting = Q(status__in=[MailStatus.PENDING, MailStatus.SENDING]) & Q(
        created_at__lt=now - PENDING_TOO_LONG
    )
    counts = OutboxMail.objects.filter(Q(status=MailStatus.FAILED) | waiting).aggregate(
        failed=Count("pk", filter=Q(status=MailStatus.FAILED)), stuck=Count("pk", filter=waiting)
    )
    failed, stuck = counts["failed"], counts["stuck"]
    return {
        "status": "degraded" if failed or stuck else "ok",
        "failed": failed,
        "pending_too_long": stuck,
    }
