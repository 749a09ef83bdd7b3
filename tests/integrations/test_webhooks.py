"""Outgoing webhooks against a real receiving HTTP server (issue 14): signed deliveries checked
with the snippet of docs/api.md, retries until accepted (at least once, the same event id),
order tolerance, pause after repeated failures with an e-mail, replay, and who hears what.

Jobs run in-process (eager Celery) once the test's transaction "commits"
(`django_capture_on_commit_callbacks(execute=True)`), as they do after a real commit.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from bookings.services import booking_approve
from core.models import OutboxMail
from integrations import events, services
from integrations.models import DeliveryStatus, EventType, WebhookDelivery
from integrations.signing import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER
from tests.factories import EpciFactory, MembershipFactory, UserFactory
from tests.integrations.conftest import endpoint_for, request_booking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_verifier():
    """The verification function of docs/api.md, run as an integrator would copy it."""
    text = DOCS.read_text()
    block = re.search(
        r"<!-- webhook-verification-snippet -->\n```python\n(.*?)```", text, re.DOTALL
    )
    assert block, "docs/api.md lost its verification snippet"
    namespace: dict = {}
    exec(block.group(1), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_locaux_communs"]


def _header(received, name: str) -> str:
    return {key.lower(): value for key, value in received.headers.items()}[name.lower()]


def test_a_booking_request_is_posted_signed_and_the_documented_snippet_verifies_it(
    receiver, booker, space, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    verify = documented_verifier()

    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(space, booker)

    [received] = receiver.received
    payload = received.payload
    assert received.path == "/hooks/locaux"
    assert payload["type"] == "booking.requested"
    assert payload["data"]["id"] == booking.pk
    assert payload["data"]["status"] == "pending"
    assert payload["data"]["url"].endswith(f"/reservations/{booking.pk}/")
    assert _header(received, EVENT_ID_HEADER) == payload["id"]
    assert _header(received, EVENT_TYPE_HEADER) == "booking.requested"
    assert verify(endpoint.secret, _header(received, SIGNATURE_HEADER), received.body)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.attempts) == (
        DeliveryStatus.DELIVERED,
        200,
        1,
    )
    assert delivery.response_ms is not None


def test_the_documented_snippet_refuses_a_forged_body_a_wrong_secret_and_an_old_timestamp(
    receiver, booker, space, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    verify = documented_verifier()
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    [received] = receiver.received
    signature = _header(received, SIGNATURE_HEADER)

    forged = received.body.replace(b'"pending"', b'"confirmed"')
    wrong_secret = verify("whsec_other", signature, received.body)
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        too_old = verify(endpoint.secret, signature, received.body)

    assert (verify(endpoint.secret, signature, forged), wrong_secret, too_old) == (
        False,
        False,
        False,
    )


def test_a_refused_delivery_is_retried_with_the_same_event_id_until_accepted(
    receiver, booker, space, django_capture_on_commit_callbacks
):
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=1)
    assert delivery.last_error.startswith("HTTP 500: boom internal error")

    too_early = services.deliveries_sweep(now=timezone.now() + timedelta(seconds=30))
    sent = services.deliveries_sweep(now=timezone.now() + timedelta(seconds=61))

    delivery.refresh_from_db()
    first, second = receiver.received
    assert (too_early, sent, delivery.status, delivery.attempts) == (0, 1, "delivered", 2)
    assert _header(first, EVENT_ID_HEADER) == _header(second, EVENT_ID_HEADER)
    assert first.body == second.body


def test_the_backoff_grows_and_a_delivery_fails_after_its_last_step(
    receiver, booker, space, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_RETRY_DELAYS = [60, 300]
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    receiver.answers = [500, 503, 502]
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    now = timezone.now()

    services.deliveries_sweep(now=now + timedelta(seconds=61))
    after_second = WebhookDelivery.objects.get().next_attempt_at
    services.deliveries_sweep(now=now + timedelta(hours=1))

    delivery = WebhookDelivery.objects.get()
    assert after_second == now + timedelta(seconds=300)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 502)
    assert delivery.next_attempt_at is None
    assert services.deliveries_sweep(now=now + timedelta(days=2)) == 0


def test_a_retried_event_arriving_after_a_later_one_is_ordered_by_its_payload(
    receiver, booker, space, commune_staff, django_capture_on_commit_callbacks
):
    """The request's delivery fails, the approval's goes through, then the request's retry: the
    receiver gets them out of order, and `created` (with the object's status) puts them back."""
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED, EventType.BOOKING_CONFIRMED])
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        booking = request_booking(space, booker)
    later = timezone.now() + timedelta(seconds=20)
    with (
        time_machine.travel(later, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        booking_approve(booking=booking, actor=commune_staff)
    services.deliveries_sweep(now=timezone.now() + timedelta(minutes=2))

    arrived = [item.payload for item in receiver.received]
    accepted = arrived[1:]  # the first was answered 500
    in_order = sorted(accepted, key=lambda payload: payload["created"])

    assert [payload["type"] for payload in accepted] == ["booking.confirmed", "booking.requested"]
    assert [payload["type"] for payload in in_order] == ["booking.requested", "booking.confirmed"]


def test_an_endpoint_failing_repeatedly_is_paused_and_its_administrators_mailed(
    receiver, booker, space, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_PAUSE_AFTER = 3
    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    receiver.answers = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    now = timezone.now()
    services.deliveries_sweep(now=now + timedelta(minutes=2))
    services.deliveries_sweep(now=now + timedelta(minutes=10))
    services.deliveries_sweep(now=now + timedelta(hours=1))  # paused: nothing sent

    endpoint.refresh_from_db()
    mail = OutboxMail.objects.get(about=f"webhook endpoint {endpoint.pk} paused")
    assert endpoint.paused_at is not None
    assert len(receiver.received) == 3
    assert mail.recipients == [booker.email]
    assert "Webhook suspendu" in mail.subject
    assert endpoint.url in mail.body


def test_events_of_a_paused_endpoint_wait_and_leave_when_it_is_resumed(
    receiver, booker, space, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    services.endpoint_pause(actor=booker, endpoint=endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    services.deliveries_sweep(now=timezone.now() + timedelta(hours=1))
    assert receiver.received == []

    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_resume(actor=booker, endpoint=endpoint)

    assert [item.payload["type"] for item in receiver.received] == ["booking.requested"]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_the_owner_replays_a_delivery_with_the_same_event_id(
    client, receiver, booker, space, django_capture_on_commit_callbacks
):
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    delivery = WebhookDelivery.objects.get()
    client.force_login(booker)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/integrations/envois/{delivery.pk}/rejouer/")

    first, again = receiver.received
    assert response.status_code == 302
    assert _header(first, EVENT_ID_HEADER) == _header(again, EVENT_ID_HEADER)
    assert WebhookDelivery.objects.filter(event_id=delivery.event_id).count() == 2


def test_a_stranger_can_neither_see_nor_replay_nor_pause_another_organisations_webhook(
    client, receiver, booker, space, stranger, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    delivery = WebhookDelivery.objects.get()
    client.force_login(stranger)
    organisation = booker.memberships.get().organisation_id

    statuses = [
        client.get(f"/integrations/organisations/{organisation}/webhooks/").status_code,
        client.get(f"/integrations/webhooks/{endpoint.pk}/").status_code,
        client.post(f"/integrations/envois/{delivery.pk}/rejouer/").status_code,
        client.post(f"/integrations/webhooks/{endpoint.pk}/suspendre/").status_code,
        client.post(f"/integrations/webhooks/{endpoint.pk}/secret/").status_code,
        client.post(
            f"/integrations/webhooks/{endpoint.pk}/supprimer/", {"confirm": "yes"}
        ).status_code,
    ]

    endpoint.refresh_from_db()
    assert statuses == [404] * 6
    assert endpoint.paused_at is None
    assert len(receiver.received) == 1


def test_an_organisation_hears_only_of_the_bookings_it_may_see(
    receiver, booker, space, stranger, territory_admin, django_capture_on_commit_callbacks
):
    """The requester, the site's owner and the intercommunality hear of the request; another
    structure that picked the same event does not."""
    owner_admin = UserFactory(email="mairie@example.test")
    MembershipFactory(user=owner_admin, organisation=space.site.owner)
    epci = territory_admin.memberships.get().organisation
    for user, organisation in [
        (booker, None),
        (stranger, None),
        (owner_admin, space.site.owner),
        (territory_admin, epci),
    ]:
        endpoint_for(
            user,
            f"{receiver.url}?for={user.email}",
            [EventType.BOOKING_REQUESTED],
            organisation=organisation,
        )

    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)

    hearers = sorted(item.path.split("for=")[1] for item in receiver.received)
    assert hearers == sorted(["repair@example.test", "mairie@example.test", "admin@example.test"])


def test_a_published_call_reaches_every_endpoint_that_picked_it_and_a_decision_only_its_parties(
    receiver, stranger, booker
):
    from tests.factories import CallFactory

    endpoint_for(stranger, receiver.url, [EventType.CALL_PUBLISHED, EventType.CALL_DECIDED])
    call = CallFactory()
    routes = events.routes_for(EventType.CALL_PUBLISHED)

    published = events.call_event(call.pk, EventType.CALL_PUBLISHED, "draft", timezone.now())
    decided = events.call_event(call.pk, EventType.CALL_DECIDED, "closed", timezone.now())

    assert len(events.routes_hearing(published, routes)) == 1
    assert events.routes_hearing(decided, routes) == []


def test_no_endpoint_means_no_query_after_a_booking_changes(
    booker, space, django_assert_num_queries
):
    events.routes_for(EventType.BOOKING_REQUESTED)  # the process loads its table once

    with django_assert_num_queries(0):
        routes = events.routes_for(EventType.BOOKING_REQUESTED)

    assert routes == []


def test_a_new_endpoint_is_seen_at_once_by_the_listeners(
    receiver, booker, django_capture_on_commit_callbacks
):
    assert events.routes_for(EventType.BOOKING_CONFIRMED) == []

    with django_capture_on_commit_callbacks(execute=True):
        endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_CONFIRMED])

    assert [route.endpoint_id for route in events.routes_for(EventType.BOOKING_CONFIRMED)] == [
        endpoint.pk
    ]


def test_an_intercommunality_hears_of_every_booking(
    receiver, booker, space, django_capture_on_commit_callbacks
):
    other_epci = EpciFactory(name="Valenciennes Métropole")
    admin = MembershipFactory(organisation=other_epci).user
    endpoint_for(admin, receiver.url, [EventType.BOOKING_REQUESTED], organisation=other_epci)

    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)

    assert len(receiver.received) == 1
