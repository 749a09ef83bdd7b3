"""A listener that fails after the change committed (issue 9 §7): the change is saved, so the
page and the API say it is, and the failure is logged. The failing listener is a receiver this
test connects to the real signal; our own code runs unchanged."""

import logging

import pytest
from django.urls import reverse

from bookings.models import Booking, BookingStatus
from bookings.signals import booking_cancelled, booking_status_changed
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def requester(db):
    organisation = VerifiedStructureFactory(name="Les Amis du Vélo")
    return MembershipFactory(
        organisation=organisation, user=UserFactory(email="asso@example.test")
    ).user


@pytest.fixture
def broken_listeners():
    def fail(**kwargs):
        raise RuntimeError("listener down")

    booking_status_changed.connect(fail, dispatch_uid="test-broken-status")
    booking_cancelled.connect(fail, dispatch_uid="test-broken-cancel")
    yield
    booking_status_changed.disconnect(dispatch_uid="test-broken-status")
    booking_cancelled.disconnect(dispatch_uid="test-broken-cancel")


def _logged_after_commit(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR and "in on_commit()" in r.getMessage()
    ]


# transaction=True: the on_commit hooks run inside the request, as in production.


@pytest.mark.django_db(transaction=True)
def test_an_approval_whose_listener_fails_after_commit_is_saved_and_said_saved(
    client, space, facilities_manager, requester, broken_listeners, caplog
):
    booking = booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
    )
    client.force_login(facilities_manager)

    response = client.post(reverse("bookings:booking-approve", args=[booking.pk]), follow=True)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert response.redirect_chain[-1] == (booking.get_absolute_url(), 302)
    assert response.status_code == 200
    assert _logged_after_commit(caplog)


@pytest.mark.django_db(transaction=True)
def test_a_request_and_a_cancellation_through_the_api_answer_saved_when_a_listener_fails(
    client, space, requester, broken_listeners, caplog
):
    client.force_login(requester)

    created = client.post(
        reverse("api:booking-list"),
        {
            "space": space.pk,
            "organisation": requester.memberships.get().organisation_id,
            "purpose": "Assemblée générale",
            "attendees": 12,
            "start": "2027-01-12T18:00:00+01:00",
            "end": "2027-01-12T20:00:00+01:00",
        },
        content_type="application/json",
    )
    booking = Booking.objects.get()
    cancelled = client.post(
        reverse("api:booking-cancel", args=[booking.pk]),
        {"reason": "Empêchement"},
        content_type="application/json",
    )

    assert (created.status_code, cancelled.status_code) == (201, 200)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert len(_logged_after_commit(caplog)) >= 2
