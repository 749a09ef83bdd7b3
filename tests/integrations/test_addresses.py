"""The guard against server-side request forgery: only https, only public addresses, when the
webhook is saved and again when a delivery leaves (a name re-pointed to a private address)."""

import pytest
from django.core.exceptions import ValidationError

from integrations import services
from integrations.addresses import url_validate
from integrations.models import DeliveryStatus, EventType, WebhookDelivery
from tests.integrations.conftest import endpoint_for, request_booking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def strict(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.1.2.3:8443/hook",
        "https://10.0.0.5/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://localhost/hook",
    ],
)
def test_a_private_or_reserved_address_is_refused(strict, url):
    with pytest.raises(ValidationError, match="réseau privé ou réservé"):
        url_validate(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",  # public, but not https
        "ftp://93.184.216.34/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
    ],
)
def test_a_scheme_other_than_https_is_refused(strict, url):
    with pytest.raises(ValidationError, match="https://"):
        url_validate(url)


def test_credentials_in_the_address_are_refused(strict):
    with pytest.raises(ValidationError, match="sans identifiant ni mot de passe"):
        url_validate("https://user:secret@93.184.216.34/hook")


def test_a_public_https_address_is_accepted(strict):
    url_validate("https://93.184.216.34/hook")  # a literal address: no DNS needed


def test_the_service_refuses_a_loopback_endpoint_in_french_on_the_url_field(strict, booker):
    with pytest.raises(ValidationError) as refused:
        endpoint_for(booker, "https://localhost/hook", [EventType.BOOKING_REQUESTED])

    assert "url" in refused.value.message_dict


def test_an_address_refused_at_send_time_is_not_contacted(
    receiver, booker, space, settings, django_capture_on_commit_callbacks
):
    """Registered while private hosts were allowed; the delivery leaves once they are not (as a
    name re-pointed to 127.0.0.1 after registration would): refused, nothing posted."""
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False

    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)

    delivery = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("Refused address")
    assert delivery.response_status is None


def test_a_redirect_is_not_followed(receiver, booker, space, django_capture_on_commit_callbacks):
    endpoint_for(booker, receiver.url, [EventType.BOOKING_REQUESTED])
    receiver.answers = [302]

    with django_capture_on_commit_callbacks(execute=True):
        request_booking(space, booker)

    delivery = WebhookDelivery.objects.get()
    assert len(receiver.received) == 1
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.PENDING, 302)


def test_an_unknown_event_or_none_is_refused(receiver, booker):
    with pytest.raises(ValidationError) as refused:
        endpoint_for(booker, receiver.url, ["booking.exploded"])
    with pytest.raises(ValidationError):
        endpoint_for(booker, receiver.url, [])

    assert "events" in refused.value.message_dict
    assert services.endpoint_create  # the service, not a form, refuses
