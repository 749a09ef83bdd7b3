"""Sending e-mail: one-line subjects, and a delivery failure that never undoes a saved change.

Every e-mail of the platform leaves through `mail_send` (one message) or `mail_send_batch`
(several over one connection: the daily reminders), called only from the apps' notification
modules (`<app>/notifications.py`). Mail goes out after the change that caused it is
committed: if the mail server is down or refuses the message, the change is saved all the
same, so the failure is logged with what the message was about and the request answers as
saved. Durable delivery (an outbox with retries) is for a later version.
"""

import logging
import smtplib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.mail import BadHeaderError, EmailMessage, get_connection, send_mail

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 150

# What a mail server or a header can refuse: SMTP errors, a refused or broken connection
# (OSError covers ConnectionRefusedError and socket timeouts) and a header with a newline.
DELIVERY_ERRORS = (smtplib.SMTPException, OSError, BadHeaderError)


def mail_subject(text: str) -> str:
    """`text` on one line: every run of whitespace or control characters becomes one space
    (a newline in a space's name would otherwise be refused as a header injection), cut at
    SUBJECT_MAX_LENGTH characters with an ellipsis."""
    cleaned = "".join(
        " " if char.isspace() or unicodedata.category(char)[0] in "CZ" else char for char in text
    )
    subject = " ".join(cleaned.split())
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    return subject


def mail_send(*, subject: str, body: str, recipients: list[str], about: str) -> bool:
    """Send one e-mail now, with a one-line subject. Returns False if it could not be delivered.

    Meant for mail sent after commit (`transaction.on_commit`): a delivery failure is logged
    with `about` (e.g. "booking 12, event approved") and swallowed, because the change it
    reports is already saved and the request must say so.
    """
    subject = mail_subject(subject)
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
    except DELIVERY_ERRORS:
        logger.exception(
            "E-mail not delivered (%s) to %s recipient(s): %s", about, len(recipients), subject
        )
        return False
    return True


@dataclass(frozen=True)
class Mail:
    """One e-mail of a batch."""

    subject: str
    body: str
    recipients: list[str]


def mail_send_batch(*, mails: Sequence[Mail], about: str) -> bool:
    """Send `mails` now over one connection, each with a one-line subject. Returns False if
    they could not all be delivered.

    Like `mail_send`, meant for mail sent once the change it reports is committed: a delivery
    failure is logged with `about` and swallowed, and the caller decides what to retry.
    """
    messages = [
        EmailMessage(mail_subject(mail.subject), mail.body, None, mail.recipients) for mail in mails
    ]
    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except DELIVERY_ERRORS:
        logger.exception("E-mails not delivered (%s): %s message(s)", about, len(messages))
        return False
    return True
