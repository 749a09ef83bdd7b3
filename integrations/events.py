"""What an event is (its type from a status change), who may hear of it (the organisations that
can already see its object) and what it says (ids, statuses and links: nothing more).

`routes_for` answers "which endpoints want this event type" without a query in the steady
state, so the booking request's after-commit listener costs nothing when nobody listens: the
endpoints are kept per process and reloaded when the generation counter in the cache
(bumped by every change of an endpoint) moves, the cache is emptied, or after ROUTES_MAX_AGE
(a bump lost while Redis was down).
"""

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse

from accounts.models import OrganisationKind
from bookings.models import Allocation, AllocationStatus, Booking, BookingStatus
from calls.models import Call, CallStatus
from integrations.models import EventType, WebhookEndpoint
from payments.models import Payment, PaymentStatus

GENERATION_KEY = "integrations:endpoints:generation"
ROUTES_MAX_AGE = 60.0  # seconds

BOOKING_EVENTS = {
    BookingStatus.PENDING: EventType.BOOKING_REQUESTED,
    BookingStatus.CONFIRMED: EventType.BOOKING_CONFIRMED,
    BookingStatus.REFUSED: EventType.BOOKING_REFUSED,
    BookingStatus.CANCELLED: EventType.BOOKING_CANCELLED,
}
AGREEMENT_EVENTS = {
    AllocationStatus.SIGNED: EventType.AGREEMENT_SIGNED,
    AllocationStatus.ENDED: EventType.AGREEMENT_ENDED,
}
PAYMENT_EVENTS = {
    PaymentStatus.CAPTURED: EventType.PAYMENT_CAPTURED,
    PaymentStatus.REFUNDED: EventType.PAYMENT_REFUNDED,
}
CALL_EVENTS = {
    CallStatus.PUBLISHED: EventType.CALL_PUBLISHED,
    CallStatus.DECIDED: EventType.CALL_DECIDED,
}


@dataclass(frozen=True)
class Route:
    endpoint_id: int
    organisation_id: int
    territory: bool  # an intercommunality's endpoint: every event of the territory
    events: frozenset[str]


class _Routes(threading.local):
    generation: object = None
    loaded_at: float = float("-inf")
    routes: tuple[Route, ...] = ()


_routes = _Routes()


def routes_changed() -> None:
    """Tell every process that the endpoints changed (called after commit)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _load() -> tuple[Route, ...]:
    rows = WebhookEndpoint.objects.values_list(
        "pk", "organisation_id", "organisation__kind", "events"
    )
    return tuple(
        Route(pk, organisation, kind == OrganisationKind.EPCI, frozenset(events or ()))
        for pk, organisation, kind, events in rows
    )


def routes_for(event_type: str) -> list[Route]:
    """The endpoints (paused or not) that picked `event_type` (no query unless they changed)."""
    generation = cache.get(GENERATION_KEY)
    now = time.monotonic()
    if (
        generation is None
        or generation != _routes.generation
        or now - _routes.loaded_at > ROUTES_MAX_AGE
    ):
        if generation is None:  # emptied cache: start a generation every process will see
            routes_changed()
            generation = cache.get(GENERATION_KEY)
        _routes.routes, _routes.generation, _routes.loaded_at = _load(), generation, now
    return [route for route in _routes.routes if event_type in route.events]


def _link(name: str, pk: int) -> str:
    try:
        return settings.SITE_URL.rstrip("/") + reverse(name, args=[pk])
    except NoReverseMatch:  # the API is not installed
        return ""


@dataclass(frozen=True)
class Event:
    type: str
    created: datetime
    audience: frozenset[int]  # the organisations that may see its object
    public: bool  # any organisation may (a published call)
    data: dict[str, Any]


def booking_event(booking_id: int, event_type: str, from_status: str, at: datetime) -> Event | None:
    booking = (
        Booking.objects.filter(pk=booking_id)
        .values("pk", "status", "organisation_id", "space_id", "space__site__owner_id")
        .first()
    )
    if booking is None:
        return None
    return Event(
        type=event_type,
        created=at,
        audience=frozenset({booking["organisation_id"], booking["space__site__owner_id"]}),
        public=False,
        data={
            "object": "booking",
            "id": booking["pk"],
            "status": booking["status"],
            "previous_status": from_status,
            "organisation": booking["organisation_id"],
            "space": booking["space_id"],
            "url": _link("bookings:booking-detail", booking["pk"]),
            "api_url": _link("api:booking-detail", booking["pk"]),
        },
    )


def agreement_event(
    allocation_id: int, event_type: str, from_status: str, at: datetime
) -> Event | None:
    allocation = Allocation.objects.filter(pk=allocation_id).first()
    if allocation is None:
        return None
    owners = set(allocation.spaces.values_list("site__owner_id", flat=True))
    return Event(
        type=event_type,
        created=at,
        audience=frozenset({allocation.structure_id, *owners}),
        public=False,
        data={
            "object": "agreement",
            "id": allocation.pk,
            "status": allocation.status,
            "previous_status": from_status,
            "structure": allocation.structure_id,
            "url": _link("bookings:allocation-detail", allocation.pk),
            "api_url": _link("api:allocation-detail", allocation.pk),
        },
    )


def payment_event(payment_id: int, event_type: str, from_status: str, at: datetime) -> Event | None:
    payment = (
        Payment.objects.filter(pk=payment_id)
        .values(
            "pk",
            "status",
            "purpose",
            "owner_id",
            "booking_id",
            "booking__organisation_id",
            "allocation_id",
            "allocation__structure_id",
            "amount_cents",
            "currency",
        )
        .first()
    )
    if payment is None:
        return None
    payer = payment["booking__organisation_id"] or payment["allocation__structure_id"]
    return Event(
        type=event_type,
        created=at,
        audience=frozenset(org for org in (payment["owner_id"], payer) if org),
        public=False,
        data={
            "object": "payment",
            "id": payment["pk"],
            "status": payment["status"],
            "previous_status": from_status,
            "purpose": payment["purpose"],
            "amount_cents": payment["amount_cents"],
            "currency": payment["currency"],
            "booking": payment["booking_id"],
            "agreement": payment["allocation_id"],
            "url": _link("payments:payment-detail", payment["pk"]),
            "api_url": _link("api:payment-detail", payment["pk"]),
        },
    )


def call_event(call_id: int, event_type: str, from_status: str, at: datetime) -> Event | None:
    call = Call.objects.filter(pk=call_id).values("pk", "status", "owner_id").first()
    if call is None:
        return None
    applicants = set(
        Call.objects.filter(pk=call_id).values_list("applications__structure_id", flat=True)
    )
    return Event(
        type=event_type,
        created=at,
        audience=frozenset({call["owner_id"], *(org for org in applicants if org)}),
        # A published call is public (its page is in the catalogue): every structure may hear.
        public=event_type == EventType.CALL_PUBLISHED,
        data={
            "object": "call",
            "id": call["pk"],
            "status": call["status"],
            "previous_status": from_status,
            "owner": call["owner_id"],
            "url": _link("calls:call-detail", call["pk"]),
            "api_url": _link("api:call-detail", call["pk"]),
        },
    )


def routes_hearing(event: Event, routes: list[Route]) -> list[Route]:
    """The routes whose organisation may see the event's object."""
    return [
        route
        for route in routes
        if event.public or route.territory or route.organisation_id in event.audience
    ]
