"""Messages about bookings (accounts.messaging), written in the transaction that causes them:
the notifications list and the outbox (core/mail.py), whose e-mails leave after commit, and only
if it commits.

Two sides hear about a booking. The requesting organisation: the member who requested it (or
its administrators if that account is gone, `booking_requesters`), with Reply-To the people
who decide (the routed deciders, else the owner's contact address). The people who decide: the
tier a request is routed to (`booking_routing`: the site's facilities managers, else the
owner's staff, else the intercommunality's people), with Reply-To the requester.
"""

import logging
from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from accounts.actors import Actor, is_platform
from accounts.messaging import Notice, notify_all
from accounts.models import User
from bookings.models import Booking
from bookings.selectors import Routing, booking_requesters, booking_routing

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
}
# Event → the message to the people who decide.
DECIDER_MESSAGES = {
    "requested": "booking_to_decide",
    "lapse_reminder": "booking_lapse_reminder",
    "lapsed": "booking_lapsed_deciders",
    "cancelled_by_requester": "booking_cancelled_by_requester",
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
                        if event in ("requested", "lapse_reminder")
                        else booking.get_absolute_url()
                    ),
                    reply_to=list(dict.fromkeys(_addresses(answer))),
                )
            )
    return notify_all(notices)
