"""Telling people: one e-mail (plain text and HTML) and one entry in their notifications list.

Every message of the platform goes through `notify_users` (to accounts) or `notify_addresses`
(to an address with no account behind it: an invitation, a new address to confirm, a
structure's contact address). They are called from the apps' notification modules
(`<app>/notifications.py`), inside the transaction of the change they report: the e-mails go
to the outbox (core/mail.py) and the notifications list in that transaction, so both exist if
and only if the change commits.

A message is a pair of templates per language, `emails/<language>/<name>.subject.txt` (one
line) and `emails/<language>/<name>.txt` (the body), rendered without HTML escaping by the
"text" template engine. Each person gets it in their own language (`User.language`), French
when the template has no version in that language. The HTML part is the same text laid out
(`emails/layout.html`); every message ends with who runs the platform and how to reach them.
`reply_to` names who can answer (the manager of a booking): the sender is a no-reply address.

Some messages are reminders a person may switch off (`OPTIONAL_TOPICS`, on their profile or by
the `List-Unsubscribe` link of the message itself, RFC 8058 one-click). A switched-off e-mail
is not sent; the notification is still listed. Decisions and what asks the person to act are
never optional.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Notification, User
from core.mail import SUBJECT_MAX_LENGTH, Mail, mail_send_batch, mail_subject

DEFAULT_LANGUAGE = "fr"
SUBJECT_PREFIX = "[Locaux Communs] "
UNSUBSCRIBE_SALT = "accounts.messaging.unsubscribe"

# Reminders a person may switch off: topic → what the profile page calls it.
OPTIONAL_TOPICS: dict[str, Any] = {
    "booking_reminder": _("Reminder the day before each of my bookings"),
    "lapse_reminder": _("Reminder of requests to decide that are about to lapse"),
    "document_expiry": _("Reminder of my structures' documents that are about to expire"),
}


def site_url(path: str = "") -> str:
    """The absolute address of `path` on the site (SITE_URL: the address people use)."""
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_token(user: User, topic: str) -> str:
    return signing.dumps({"u": user.pk, "t": topic}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    """(user id, topic) of a valid unsubscribe token, else None. Tokens do not expire: the
    link of an old e-mail still works."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, topic = int(data["u"]), str(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if topic not in OPTIONAL_TOPICS:
        return None
    return user_id, topic


@dataclass(frozen=True)
class Rendered:
    subject: str  # of the e-mail: "[Locaux Communs] " + title
    title: str  # the same without the prefix, as the notifications list shows it
    text: str  # the message itself, as listed in the notifications
    body: str  # the e-mail's text part: the message and the footer
    html: str
    unsubscribe_url: str  # "" unless the message is an optional reminder to an account

    def headers(self) -> dict[str, str]:
        """List-Unsubscribe (RFC 2369) with one-click unsubscription (RFC 8058)."""
        if not self.unsubscribe_url:
            return {}
        return {
            "List-Unsubscribe": f"<{self.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def _render_text(language: str, name: str, suffix: str, context: Mapping[str, Any]) -> str:
    """Render `emails/<language>/<name><suffix>` as plain text (no HTML escaping), or the
    French version when the language has none."""
    names = [f"emails/{language}/{name}{suffix}"]
    if language != DEFAULT_LANGUAGE:
        names.append(f"emails/{DEFAULT_LANGUAGE}/{name}{suffix}")
    return select_template(names, using="text").render(context)


def message_render(
    name: str,
    context: Mapping[str, Any],
    *,
    language: str = DEFAULT_LANGUAGE,
    recipient: User | None = None,
    link: str = "",
    topic: str = "",
) -> Rendered:
    """Render message `name` in `language` (French if it has no version in that language)."""
    if language not in dict(settings.LANGUAGES):
        language = DEFAULT_LANGUAGE
    unsubscribe_url = (
        site_url(reverse("accounts:unsubscribe", args=[unsubscribe_token(recipient, topic)]))
        if recipient is not None and topic in OPTIONAL_TOPICS
        else ""
    )
    with translation.override(language):
        full = {
            **context,
            "recipient": recipient,
            "site_url": site_url(),
            "link": site_url(link) if link else "",
            "operator_name": settings.OPERATOR_NAME,
            "contact_email": settings.CONTACT_EMAIL,
            "contact_phone": settings.CONTACT_PHONE,
            "profile_url": site_url(reverse("accounts:profile")) if recipient else "",
            "unsubscribe_url": unsubscribe_url,
        }
        title = mail_subject(
            _render_text(language, name, ".subject.txt", full),
            SUBJECT_MAX_LENGTH - len(SUBJECT_PREFIX),
        )
        subject = SUBJECT_PREFIX + title
        text = _render_text(language, name, ".txt", full).strip()
        footer = _render_text(language, "_footer", ".txt", full).strip()
        html = render_to_string(
            "emails/layout.html",
            {**full, "subject": subject, "text": text, "footer": footer, "language": language},
        )
    return Rendered(
        subject=subject,
        title=title,
        text=text,
        body=f"{text}\n\n-- \n{footer}\n",
        html=html,
        unsubscribe_url=unsubscribe_url,
    )


@dataclass(frozen=True)
class Notice:
    """One message to some users, for `notify_all` (the arguments of `notify_users`)."""

    users: Iterable[User]
    message: str
    context: Mapping[str, Any]
    about: str
    topic: str = ""
    link: str = ""
    reply_to: Sequence[str] = ()


def notify_users(
    users: Iterable[User],
    *,
    message: str,
    context: Mapping[str, Any],
    about: str,
    topic: str = "",
    link: str = "",
    reply_to: Sequence[str] = (),
) -> int:
    """Tell each of `users` (once each; erased and deactivated accounts are skipped): an entry in
    their notifications list and, unless they switched `topic` off, an e-mail in their language.
    `link` is a path of the site the message is about. Call it in the transaction of the change
    it reports. Returns how many e-mails were queued."""
    return notify_all(
        [Notice(users, message, context, about, topic=topic, link=link, reply_to=reply_to)]
    )


def notify_all(notices: Sequence[Notice]) -> int:
    """`notify_users` for several messages at once (a request told to its requester and to the
    people who decide): one INSERT for all the notifications, one for all the e-mails, which
    leave in one job. Each notice reaches each of its users once."""
    mails: list[Mail] = []
    entries: list[Notification] = []
    for notice in notices:
        topic = notice.topic or notice.message
        seen: set[int] = set()
        for user in notice.users:
            if user.pk in seen or not user.is_active or user.erased_at is not None:
                continue
            seen.add(user.pk)
            rendered = message_render(
                notice.message,
                notice.context,
                language=user.language,
                recipient=user,
                link=notice.link,
                topic=topic,
            )
            entries.append(
                Notification(
                    user=user,
                    topic=topic[:60],
                    subject=rendered.title,
                    body=rendered.text,
                    link=notice.link,
                )
            )
            if topic in OPTIONAL_TOPICS and topic in (user.muted_topics or []):
                continue
            mails.append(
                Mail(
                    rendered.subject,
                    rendered.body,
                    [user.email],
                    html=rendered.html,
                    reply_to=tuple(notice.reply_to),
                    headers=rendered.headers(),
                    about=notice.about,
                )
            )
    Notification.objects.bulk_create(entries)
    return len(mail_send_batch(mails=mails, about=notices[0].about if notices else ""))


def notify_addresses(
    addresses: Iterable[str],
    *,
    message: str,
    context: Mapping[str, Any],
    about: str,
    language: str = DEFAULT_LANGUAGE,
    link: str = "",
    reply_to: Sequence[str] = (),
) -> int:
    """E-mail `addresses` that may have no account behind them (an invitation, a new address to
    confirm): no notifications list, in `language`. Same transaction rule as `notify_users`.
    Returns how many e-mails were queued."""
    recipients = list(dict.fromkeys(address for address in addresses if address))
    if not recipients:
        return 0
    rendered = message_render(message, context, language=language, link=link)
    mails = [
        Mail(
            rendered.subject, rendered.body, [address], html=rendered.html, reply_to=tuple(reply_to)
        )
        for address in recipients
    ]
    return len(mail_send_batch(mails=mails, about=about))
