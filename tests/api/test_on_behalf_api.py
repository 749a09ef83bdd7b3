"""Booking on behalf and quotas through `POST /api/v1/bookings/` (issue 16): the same service as
the page; a quota refusal is a 400 with its message.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

import pytest
from django.urls import reverse

from bookings.models import Booking, BookingStatus
from bookings.services import quota_save
from tests.factories import MembershipFactory, VerifiedStructureFactory

BOOKINGS = reverse("api:booking-list")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def _body(space, organisation, **extra) -> dict:
    return {
        "space": space.pk,
        "organisation": organisation.pk,
        "purpose": "Permanence vélo",
        "attendees": 8,
        "start": "2027-01-04T14:00:00+01:00",
        "end": "2027-01-04T16:00:00+01:00",
        **extra,
    }


def test_an_agent_books_on_behalf_through_the_api(
    client, space, organisation, requester, commune_staff
):
    client.force_login(commune_staff)

    response = client.post(
        BOOKINGS,
        _body(space, organisation, waive=["min_notice"], approve=True),
        "application/json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["organisation"] == "Les Amis du Vélo"
    assert body["status"] == BookingStatus.CONFIRMED
    assert body["on_behalf"] is True
    assert body["waived_min_notice"] is True
    assert body["waived_max_advance"] is False
    # The structure lists it, marked as booked on its behalf.
    client.force_login(requester)
    [item] = client.get(BOOKINGS).json()["results"]
    assert (item["id"], item["on_behalf"]) == (body["id"], True)


def test_without_the_waiver_the_notice_still_applies_to_an_agent(
    client, space, organisation, commune_staff
):
    client.force_login(commune_staff)

    response = client.post(BOOKINGS, _body(space, organisation), "application/json")

    assert response.status_code == 400
    assert response.json() == {"start": ["Réservez au moins 24 heures à l’avance."]}


def test_a_member_cannot_book_for_another_structure_through_the_api(client, space, organisation):
    outsider = MembershipFactory(organisation=VerifiedStructureFactory()).user
    client.force_login(outsider)

    response = client.post(
        BOOKINGS,
        _body(
            space,
            organisation,
            start="2027-01-12T18:00:00+01:00",
            end="2027-01-12T20:00:00+01:00",
        ),
        "application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["organisation"]
    assert not Booking.objects.exists()


def test_an_unknown_waiver_is_a_400(client, space, organisation, commune_staff):
    client.force_login(commune_staff)

    response = client.post(
        BOOKINGS, _body(space, organisation, waive=["quota"]), "application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["waive"]


def test_a_quota_refusal_is_a_400_with_its_message(
    client, space, site, organisation, requester, commune_staff
):
    quota_save(actor=commune_staff, site=site, max_hours_per_week=1)
    client.force_login(requester)

    response = client.post(
        BOOKINGS,
        _body(
            space,
            organisation,
            start="2027-01-12T18:00:00+01:00",
            end="2027-01-12T20:00:00+01:00",
        ),
        "application/json",
    )

    assert response.status_code == 400
    [message] = response.json()["non_field_errors"]
    assert message.startswith(
        "Quota atteint : Les Amis du Vélo peut réserver au plus 1 heure par semaine"
    )
    assert not Booking.objects.exists()
