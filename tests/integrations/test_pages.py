"""The owner's pages: list, create (the secret shown once), detail with the delivery log,
rotate, pause and resume, delete; the link on the organisation's page."""

import pytest
from django.urls import reverse

from integrations.models import EventType, WebhookEndpoint
from tests.integrations.conftest import endpoint_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def organisation(booker):
    return booker.memberships.get().organisation


def test_the_organisation_page_links_to_its_webhooks_for_its_administrators(
    client, booker, organisation
):
    client.force_login(booker)

    page = client.get(reverse("accounts:structure-detail", args=[organisation.pk]))

    assert reverse("integrations:endpoint-list", args=[organisation.pk]) in page.content.decode()


def test_a_plain_member_sees_no_webhook_link_and_gets_404(client, organisation):
    from accounts.models import MembershipRole
    from tests.factories import MembershipFactory

    member = MembershipFactory(organisation=organisation, role=MembershipRole.MEMBER).user
    client.force_login(member)

    page = client.get(reverse("accounts:structure-detail", args=[organisation.pk]))
    listing = client.get(reverse("integrations:endpoint-list", args=[organisation.pk]))

    assert "webhooks" not in page.content.decode().lower()
    assert listing.status_code == 404


def test_creating_a_webhook_shows_its_secret_once(client, receiver, booker, organisation):
    client.force_login(booker)

    created = client.post(
        reverse("integrations:endpoint-create", args=[organisation.pk]),
        {"url": receiver.url, "description": "ERP", "events": ["booking.requested"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    detail = client.get(endpoint.get_absolute_url())
    listing = client.get(reverse("integrations:endpoint-list", args=[organisation.pk]))

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    assert endpoint.secret in created.content.decode()
    assert endpoint.secret not in detail.content.decode()
    assert endpoint.secret not in listing.content.decode()


def test_the_form_refuses_hostile_input_in_french(client, booker, organisation, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    client.force_login(booker)
    url = reverse("integrations:endpoint-create", args=[organisation.pk])

    answers = [
        client.post(url, {"url": "https://127.0.0.1/x", "events": ["booking.requested"]}),
        client.post(url, {"url": "https://example.org/\nx", "events": ["booking.requested"]}),
        client.post(url, {"url": "https://example.org/" + "a" * 600, "events": ["nope"]}),
        client.post(url, {"url": "=cmd|' /C calc'!A0", "description": "\x00"}),
    ]

    assert [answer.status_code for answer in answers] == [200] * 4
    assert all(
        "The form has errors" in a.content.decode() or "erreurs" in a.content.decode()
        for a in answers
    )
    assert not WebhookEndpoint.objects.exists()


def test_rotating_the_secret_shows_a_new_one(client, receiver, booker):
    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    old = endpoint.secret
    client.force_login(booker)

    response = client.post(reverse("integrations:endpoint-rotate", args=[endpoint.pk]))

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in response.content.decode()


def test_pause_resume_edit_and_delete(client, receiver, booker, organisation):
    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    client.force_login(booker)

    client.post(reverse("integrations:endpoint-pause", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    paused = endpoint.paused_at is not None
    client.post(reverse("integrations:endpoint-resume", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    resumed = endpoint.paused_at is None
    client.post(
        reverse("integrations:endpoint-edit", args=[endpoint.pk]),
        {"url": receiver.url + "/v2", "events": ["booking.confirmed", "call.published"]},
    )
    endpoint.refresh_from_db()
    confirm_page = client.get(reverse("integrations:endpoint-delete", args=[endpoint.pk]))
    client.post(reverse("integrations:endpoint-delete", args=[endpoint.pk]), {"confirm": "yes"})

    assert (paused, resumed) == (True, True)
    assert endpoint.events == ["booking.confirmed", "call.published"]
    assert confirm_page.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_the_detail_page_lists_deliveries_with_a_replay_button(
    client, receiver, booker, space, django_capture_on_commit_callbacks
):
    from tests.integrations.conftest import request_booking

    endpoint = endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)
    client.force_login(booker)

    page = client.get(endpoint.get_absolute_url()).content.decode()

    assert "booking.requested" in page
    assert "/rejouer/" in page
    assert endpoint.secret not in page
