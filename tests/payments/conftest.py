"""Fixtures of the payments tests: a commune that collects by card (localstripe, a real HTTP
fake of Stripe, is started by tests/localstripe.py), a priced space and an association that
books it.

Only Stripe is faked; our code runs for real, over HTTP, against localstripe's state.
"""

import hashlib
import hmac
import json
import socket
import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from bookings.services import booking_approve
from payments.models import ChannelKind, PaymentChannel, PaymentStatus
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.cards import payment_start
from payments.services.tariffs import tariff_set
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
)

SECRET_KEY = "sk_test_locaux_communs"
PUBLISHABLE_KEY = "pk_test_locaux_communs"
WEBHOOK_SECRET = "whsec_test_locaux_communs"
HOURLY_CENTS = 1500


@pytest.fixture
def collector(site):
    """The commune owning the site, with a Stripe channel (a régie, say)."""
    return PaymentChannel.objects.create(
        owner=site.owner,
        kind=ChannelKind.STRIPE,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def priced_space(space, territory_admin):
    tariff_set(
        space=space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.HOUR,
        amount_cents=HOURLY_CENTS,
        actor=territory_admin,
    )
    return space


@pytest.fixture
def association(db):
    return VerifiedStructureFactory(name="Les Amis du Vélo")


@pytest.fixture
def requester(association):
    return MembershipFactory(
        organisation=association, user=UserFactory(email="asso@example.test")
    ).user


def slot(days: int = 5, hour: int = 10, hours: int = 2) -> tuple[datetime, datetime]:
    """A slot `days` ahead in Paris, far enough for the notice rules."""
    day = timezone.localdate() + timedelta(days=days)
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))
    return start, start + timedelta(hours=hours)


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header made with Stripe's algorithm: HMAC-SHA256 of "<t>.<body>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event_id: str, kind: str, obj: dict) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "api_version": "2020-08-27",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


@pytest.fixture
def stripe_unreachable(settings):
    """Point the gateway at a port of 127.0.0.1 where nothing listens: Stripe is out of reach."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    return settings.STRIPE_API_BASE


@pytest.fixture
def captured_booking(
    stripe_api,
    priced_space,
    requester,
    collector,
    facilities_manager,
    django_capture_on_commit_callbacks,
):
    """A two-hour booking of the priced space whose fee was captured on approval: (booking,
    payment). The changes' refunds and supplements start from it (test_change_refund.py,
    test_change_supplement.py)."""
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    return booking, payment
