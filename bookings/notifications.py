"""Messages about bookings (accounts.messaging), written in the transaction that causes them:
the notifications list and the outbox (core/mail.py), whose e-mails leave after commit, and only
if it commits. A request's own messages are written by a worker right after its commit, from a
row written in its transaction (`notify_after_commit`, bookings/models/messages.py).

Two sides hear about a booking. The requesting organisation: the member who requested it (or
its administrators if that account is gone, `booking_requesters`), with Reply-To the people
who decide (the routed deciders, else the owner's contact address). The people who decide: the
tier a request is routed to (`booking_routing`: the site's facilities managers, else the
owner's staff, else the intercommunality's people), with Reply-To the requester.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.actors import Actor, is_platform
from accounts.messaging import (
    Notice,
    message_render,
    notify_addresses,
    notify_all,
    notify_users,
)
from accounts.models import Notification, User
from bookings.models import (
    GRACE_MINUTES_DEFAULT,
    Booking,
    BookingComment,
    BookingFile,
    BookingMessage,
    BookingMessageStatus,
    BookingStatus,
    CheckInSetting,
    CommentSide,
    Occupancy,
    SlotWait,
)
from bookings.selectors import (
    Routing,
    booking_comment_recipients,
    booking_requesters,
    booking_routing,
    routing_of,
    slot_wait_recipients,
)
from bookings.selectors.conditions import booking_conditions_missing
from core.jobs import job_nudge_after_commit
from core.queue import (
    QueuePolicy,
    queue_claim,
    queue_mark_done,
    queue_mark_failed_attempt,
    queue_sweep,
)

logger = logging.getLogger(__name__)

# Event → the message to the requesting organisation.
REQUESTER_MESSAGES = {
    "requested": "booking_requested",
    "confirmed": "booking_confirmed",
    "approved": "booking_approved",
    "refused": "booking_refused",
    "cancelled": "booking_cancelled",
    "cancelled_by_requester": "booking_cancelled",
    "lapsed": "booking_lapsed",
    "reminder": "booking_reminder",
    # Booked by an agent for the structure (bookings.services.behalf): its people are told.
    "requested_on_behalf": "booking_requested_on_behalf",
    "confirmed_on_behalf": "booking_confirmed_on_behalf",
    # Issue 16: a manager changed the booking (bookings.services.changes).
    "changed": "booking_changed",
    # Several rooms at once (bookings.services.groups): one message for the group, with
    # `rooms` (its bookings) in the context.
    "group_requested": "booking_group_requested",
    "group_confirmed": "booking_group_requested",
    "group_approved": "booking_group_approved",
    "group_refused": "booking_group_refused",
    "group_cancelled": "booking_group_cancelled",
    "group_cancelled_by_requester": "booking_group_cancelled",
}
# Event → the message to the people who decide.
DECIDER_MESSAGES = {
    "requested": "booking_to_decide",
    "requested_on_behalf": "booking_to_decide",
    "lapse_reminder": "booking_lapse_reminder",
    "lapsed": "booking_lapsed_deciders",
    "cancelled_by_requester": "booking_cancelled_by_requester",
    # Issue 16: the structure changed its booking; the people who decide hear of it.
    "changed_by_requester": "booking_changed_by_requester",
    "group_requested": "booking_group_to_decide",
    "group_cancelled_by_requester": "booking_group_cancelled_by_requester",
}
# Reminders a person may switch off (accounts.messaging.OPTIONAL_TOPICS).
TOPICS = {"reminder": "booking_reminder", "lapse_reminder": "lapse_reminder"}


def _load(booking: Booking) -> Booking:
    return Booking.objects.select_related(
        "space",
        "space__site",
        "space__site__commune",
        "space__site__owner",
        "organisation",
        "requested_by",
    ).get(pk=booking.pk)


def _addresses(users: Sequence[User]) -> list[str]:
    """The addresses of the accounts that can still be answered (not deactivated or erased)."""
    return [
        user.email for user in users if user.email and user.is_active and user.erased_at is None
    ]


def _decider_contacts(booking: Booking, routing: Routing) -> list[str]:
    """Who the requesting organisation can answer: the routed deciders, else the owner."""
    return _addresses(routing.deciders) or [
        address for address in [booking.space.site.owner.email] if address
    ]


def _about(booking: Booking, message: str) -> str:
    """What the outbox row is about, for the log and the admin: "booking 12, to_decide"."""
    return f"booking {booking.pk}, {message.removeprefix('booking_')}"


def notify(
    booking: Booking,
    event: str,
    *,
    to_requester: bool = True,
    actor: Actor | None = None,
    loaded: bool = False,
    requester_is_member: bool = False,
    **extra: Any,
) -> int:
    """Tell who must know of `event` on `booking`: the requesting organisation (unless
    `to_requester` is False) and, for a request, a lapse or a cancellation by the requester,
    the people who decide. `actor` is who caused it (Reply-To of a cancellation by the
    requester). Call it in the transaction of the change it reports. Returns how many e-mails
    were queued. `loaded`: `booking` already carries its space, site (commune, owner),
    organisation and requester, as `booking_request` holds them (not read again);
    `requester_is_member`: the caller just checked the requester's membership."""
    if not loaded:
        booking = _load(booking)
    routing = booking_routing(booking)
    context = {"booking": booking, "routing": routing, "event": event, **extra}
    # Both sides' messages are written together: one INSERT of notifications, one of e-mails.
    notices: list[Notice] = []
    if to_requester and event in REQUESTER_MESSAGES:
        notices.append(
            Notice(
                booking_requesters(booking, is_member=requester_is_member),
                message=REQUESTER_MESSAGES[event],
                context=context,
                about=_about(booking, REQUESTER_MESSAGES[event]),
                topic=TOPICS.get(event, ""),
                link=booking.get_absolute_url(),
                reply_to=_decider_contacts(booking, routing),
            )
        )
    if event in DECIDER_MESSAGES:
        if not routing.deciders:
            # The requester was told nobody can decide (booking_requested.txt); the platform's
            # operators see it in the log.
            logger.warning("Booking %s (%s): nobody can decide it.", booking.pk, event)
        else:
            answer = [booking.requested_by]
            if actor is not None and not is_platform(actor):
                answer.insert(0, actor)
            notices.append(
                Notice(
                    routing.deciders,
                    message=DECIDER_MESSAGES[event],
                    context=context,
                    about=_about(booking, DECIDER_MESSAGES[event]),
                    topic=TOPICS.get(event, ""),
                    link=(
                        reverse("bookings:pending")
                        if event
                        in ("requested", "requested_on_behalf", "lapse_reminder", "group_requested")
                        else booking.get_absolute_url()
                    ),
                    reply_to=list(dict.fromkeys(_addresses(answer))),
                )
            )
    return notify_all(notices)


# Writing a booking event's messages after the commit (bookings/models/messages.py).
# A failure is a bug or the database going away: tried again after 1, 5 and 30 minutes and 2
# hours, then failed (logged as an error, kept for the operators).
MESSAGE_RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)
MESSAGE_SWEEP_BATCH = 200
LOST_WORKER = "Worker lost while writing the messages"


def _message_policy() -> QueuePolicy:
    return QueuePolicy(claim_timeout=settings.MAIL_CLAIM_TIMEOUT, retry_delays=MESSAGE_RETRY_DELAYS)


def notify_after_commit(
    booking: Booking, event: str, *, loaded: bool = False, requester_is_member: bool = False
) -> None:
    """`notify(booking, event)`, written by a worker right after the commit: one row in this
    transaction (it commits or rolls back with the change) and a job sent after the commit; the
    sweep takes the row if the broker was down. Without a worker
    (BOOKING_MESSAGES_AFTER_COMMIT off: eager jobs) the messages are written now, as `notify`
    does. For events whose messages depend on nothing but the booking (no reason, no actor)."""
    if not settings.BOOKING_MESSAGES_AFTER_COMMIT:
        notify(booking, event, loaded=loaded, requester_is_member=requester_is_member)
        return
    from bookings.tasks import write_new_booking_messages  # bookings.tasks imports services

    BookingMessage.objects.create(
        booking=booking,
        event=event,
        requester_is_member=requester_is_member,
        next_attempt_at=timezone.now(),
    )
    # One job a second writes every new row (issue 18: a Celery message per request cost
    # more than the row).
    job_nudge_after_commit(write_new_booking_messages)


def booking_messages_write(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Write the notifications and e-mails of the `BookingMessage` rows `ids` that are due:
    each claimed, then its messages and its "written" mark in one transaction, so a row's
    messages are written once even if two workers take it. Returns how many rows were written;
    a failure is recorded on its row (tried again later, or failed), never raised."""
    policy = _message_policy()
    written = 0
    for pk in sorted(ids):
        token = queue_claim(BookingMessage.objects, pk, policy=policy, now=now or timezone.now())
        if token is None:  # written, failed, not due, or another worker has it
            continue
        row = BookingMessage.objects.get(pk=pk)
        error: BaseException | str | None = None
        if row.attempts > policy.max_attempts:  # retaken after its last attempt
            row.attempts, error = policy.max_attempts, LOST_WORKER
        else:
            try:
                with transaction.atomic():
                    notify(row.booking, row.event, requester_is_member=row.requester_is_member)
                    marked = queue_mark_done(
                        BookingMessage.objects,
                        pk,
                        token,
                        status=BookingMessageStatus.WRITTEN,
                        written_at=timezone.now(),
                    )
                    if not marked:  # our claim went stale and was retaken: its worker writes
                        transaction.set_rollback(True)
                        continue
            # One row's failure (a template that cannot render this booking, the database gone)
            # must not stop the others; it is logged with its traceback and retried.
            except Exception as exc:
                logger.exception("Messages of %s not written", row)
                error = exc
        if error is None:
            written += 1
            continue
        final = queue_mark_failed_attempt(
            BookingMessage.objects,
            pk,
            token,
            attempts=row.attempts,
            error=error,
            policy=policy,
            now=timezone.now(),
        )
        if final:
            logger.error("Messages of %s failed after %s attempts", row, row.attempts)
    return written


# Rows one nudged job writes at most (then the next nudge or the sweep goes on).
MESSAGE_NEW_MOST = 10 * MESSAGE_SWEEP_BATCH


def booking_messages_write_new(*, now: datetime | None = None) -> int:
    """Write the rows never attempted that are due (`notify_after_commit`'s), in batches, the
    oldest first; at most MESSAGE_NEW_MOST. Retries and lost claims are the sweep's. Returns
    how many rows were written."""
    written = seen = 0
    while seen < MESSAGE_NEW_MOST:
        ids = list(
            BookingMessage.objects.filter(
                status=BookingMessageStatus.PENDING,
                attempts=0,
                next_attempt_at__lte=now or timezone.now(),
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:MESSAGE_SWEEP_BATCH]
        )
        if not ids:
            break
        seen += len(ids)
        written += booking_messages_write(ids=ids, now=now)
    return written


def booking_messages_sweep(*, now: datetime | None = None) -> int:
    """Write the booking messages that are due: rows whose job was lost with the broker, failed
    attempts whose time has come, claims of workers that died. Run every minute by beat."""
    now = now or timezone.now()
    ids = queue_sweep(
        BookingMessage.objects, policy=_message_policy(), now=now, batch=MESSAGE_SWEEP_BATCH
    )
    return booking_messages_write(ids=ids, now=now) if ids else 0


def notify_comment(comment: BookingComment) -> int:
    """Tell the other side of `comment`'s conversation that a message awaits them
    (`booking_comment_recipients`): an entry in their notifications list and an e-mail that
    quotes it, linking to the conversation. A requester's message on a site nobody can decide
    on goes to the owner's contact address. No Reply-To: an answer belongs in the
    conversation, where both sides read it; the e-mail says so. Call it in the transaction
    that writes the message. Returns how many e-mails were queued."""
    booking = _load(comment.booking)
    comment.booking = booking
    context = {"booking": booking, "comment": comment, "author": comment.author}
    link = booking.get_absolute_url() + "#messages"
    about = f"booking {booking.pk}, comment {comment.pk}"
    people = booking_comment_recipients(comment=comment)
    if people:
        return notify_users(
            people, message="booking_comment", context=context, about=about, link=link
        )
    if comment.side == CommentSide.REQUESTER and booking.space.site.owner.email:
        return notify_addresses(
            [booking.space.site.owner.email],
            message="booking_comment",
            context=context,
            about=about,
            link=link,
        )
    logger.warning("Booking %s: nobody to tell of message %s.", booking.pk, comment.pk)
    return 0


def notify_file(row: BookingFile, *, side: CommentSide, removed: bool) -> int:
    """Tell the other side that a document was attached to a booking (`removed`: taken off a
    request by its structure): the people who decide when the requester attached it, with
    what approval still waits for, so that a request held for its insurance certificate is
    not forgotten once it comes; the requester when a manager attached it. No Reply-To
    beyond the usual: the booking's page holds the document. Call it in the transaction that
    attaches or removes the file. Returns how many e-mails were queued."""
    booking = _load(row.booking)
    pending = booking.status == BookingStatus.PENDING
    context = {
        "booking": booking,
        "file": row,
        "removed": removed,
        "missing": booking_conditions_missing(booking) if pending else [],
        "pending": pending,
    }
    message = "booking_file_removed" if removed else "booking_file_attached"
    about = f"booking {booking.pk}, {message.removeprefix('booking_')} {row.pk}"
    link = booking.get_absolute_url()
    if side == CommentSide.REQUESTER:
        people = [
            user for user in booking_routing(booking).deciders if user.pk != row.uploaded_by_id
        ]
        if not people:
            owner = booking.space.site.owner.email
            if owner:
                return notify_addresses(
                    [owner], message=message, context=context, about=about, link=link
                )
            logger.warning("Booking %s: nobody to tell of file %s.", booking.pk, row.pk)
            return 0
    else:
        people = [user for user in booking_requesters(booking) if user.pk != row.uploaded_by_id]
    return notify_users(people, message=message, context=context, about=about, link=link)


# Event of a wait for a slot (issue 16) → the message to the waiting structure.
SLOT_WAIT_MESSAGES = {"offered": "slot_wait_offered", "offer_expired": "slot_wait_expired"}


def notify_slot_wait(wait: SlotWait, event: str) -> int:
    """Tell the waiting structure (`slot_wait_recipients`) that the slot is offered to it, with
    the deadline and the link to accept, or that the offer lapsed unanswered. Call it in the
    transaction of the change. Returns how many e-mails were queued."""
    message = SLOT_WAIT_MESSAGES[event]
    return notify_users(
        slot_wait_recipients(wait),
        message=message,
        context={"wait": wait, "space": wait.space, "site": wait.space.site},
        about=f"slot wait {wait.pk}, {event}",
        link=wait.get_absolute_url(),
    )


def notify_slot_wait_joined(wait: SlotWait) -> int:
    """Tell the people who would decide on the wait's request (the space's routing tier, none
    of them a member of the structure) that a structure joined the line, in their
    notifications list only: a line asks nothing of them, and an e-mail for each wait would
    drown the ones that do. Call it in the transaction of the join. Returns how many entries
    were written."""
    space = wait.space
    link = reverse("bookings:space-slot-waits", args=[space.pk])
    context = {"wait": wait, "space": space, "site": space.site}
    entries = []
    for user in routing_of(site_id=space.site_id, organisation_id=wait.organisation_id).deciders:
        if not user.is_active or user.erased_at is not None:
            continue
        rendered = message_render(
            "slot_wait_joined_managers", context, language=user.language, link=link
        )
        entries.append(
            Notification(
                user=user,
                topic="slot_wait_joined",
                subject=rendered.title,
                body=rendered.text,
                link=link,
            )
        )
    Notification.objects.bulk_create(entries)
    return len(entries)


def notify_no_show(*, occupancy_id: int) -> int:
    """Tell of a no-show (bookings.services.checkin): the structure by e-mail (and its
    notifications list), with Reply-To the people who decide (to say they were there); the
    people who manage the site in their notifications list only — a no-show asks nothing of
    them. Call it in the transaction that marked the date. Returns how many e-mails were
    queued."""
    row = Occupancy.objects.get(pk=occupancy_id)
    booking = _load(row.booking)
    grace = CheckInSetting.objects.filter(space_id=booking.space_id).values_list(
        "grace_minutes", flat=True
    )
    closes = row.start + timedelta(minutes=grace[0] if grace else GRACE_MINUTES_DEFAULT)
    routing = booking_routing(booking)
    context = {"booking": booking, "row": row, "closes": closes}
    link = booking.get_absolute_url()
    about = _about(booking, "booking_no_show")
    entries = []
    for user in routing.deciders:
        if not user.is_active or user.erased_at is not None:
            continue
        rendered = message_render(
            "booking_no_show_managers", context, language=user.language, link=link
        )
        entries.append(
            Notification(
                user=user,
                topic="booking_no_show",
                subject=rendered.title,
                body=rendered.text,
                link=link,
            )
        )
    Notification.objects.bulk_create(entries)
    return notify_users(
        booking_requesters(booking),
        message="booking_no_show",
        context=context,
        about=about,
        link=link,
        reply_to=_decider_contacts(booking, routing),
    )
