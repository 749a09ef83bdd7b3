"""Listeners of the lower apps' after-commit signals: a status change that is an event some
endpoint picked becomes deliveries. Without such an endpoint they return before any query
(`events.routes_for`), so the booking request pays nothing for webhooks nobody listens to.

A listener runs after the change committed: a process that dies in between loses the event (the
change itself stands). It is the price of the lower apps not knowing this one; docs/decisions.md.
"""

from collections.abc import Callable
from datetime import datetime

from django.dispatch import receiver
from django.utils import timezone

from bookings.signals import allocation_status_changed, booking_status_changed
from calls.signals import call_status_changed
from integrations import events
from integrations.services import events_record
from payments.signals import payment_status_changed

Builder = Callable[[int, str, str, datetime], events.Event | None]


def _emit(event_type: str | None, build: Builder, pk: int, from_status: str) -> None:
    if event_type is None:
        return
    routes = events.routes_for(event_type)
    if not routes:
        return
    event = build(pk, event_type, from_status, timezone.now())
    if event is None:
        return
    hearing = events.routes_hearing(event, routes)
    if hearing:
        events_record(event=event, routes=hearing)


@receiver(booking_status_changed, dispatch_uid="integrations_booking")
def booking_changed(sender, *, booking_id: int, from_status: str, to_status: str, **kwargs):
    _emit(events.BOOKING_EVENTS.get(to_status), events.booking_event, booking_id, from_status)


@receiver(allocation_status_changed, dispatch_uid="integrations_agreement")
def agreement_changed(sender, *, allocation_id: int, from_status: str, to_status: str, **kwargs):
    _emit(
        events.AGREEMENT_EVENTS.get(to_status), events.agreement_event, allocation_id, from_status
    )


@receiver(payment_status_changed, dispatch_uid="integrations_payment")
def payment_changed(sender, *, payment_id: int, from_status: str, to_status: str, **kwargs):
    _emit(events.PAYMENT_EVENTS.get(to_status), events.payment_event, payment_id, from_status)


@receiver(call_status_changed, dispatch_uid="integrations_call")
def call_changed(sender, *, call_id: int, from_status: str, to_status: str, **kwargs):
    _emit(events.CALL_EVENTS.get(to_status), events.call_event, call_id, from_status)
