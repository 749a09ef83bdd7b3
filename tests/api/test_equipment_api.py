"""Equipment API (issue 16): listed for a site and a space, asked for with a booking, returned
on it, managed by those who manage the site.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.urls import reverse

from bookings.models import Booking, Equipment
from tests.factories import (
    SpaceFactory,
    booking_request_for,
    paris,
)

BOOKINGS = reverse("api:booking-list")
SLOT = {"start": "2027-01-12T18:00:00+01:00", "end": "2027-01-12T20:00:00+01:00"}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def chairs(site):
    return Equipment.objects.create(site=site, name="Chaises", stock=50)


@pytest.fixture
def projector(site):
    return Equipment.objects.create(site=site, name="Vidéoprojecteur", stock=1)


def _body(space, requester, *equipment) -> dict:
    return {
        "space": space.pk,
        "organisation": requester.memberships.get().organisation_id,
        "purpose": "Assemblée générale",
        "attendees": 12,
        **SLOT,
        "equipment": [{"equipment": item.pk, "quantity": n} for item, n in equipment],
    }


def test_the_equipment_of_a_site_and_of_a_space_are_listed(
    client, site, space, chairs, projector, django_assert_max_num_queries
):
    Equipment.objects.create(site=site, name="Sono", stock=0)

    with django_assert_max_num_queries(4):
        of_site = client.get(reverse("api:site-equipment-list", args=[site.pk])).json()
    of_space = client.get(reverse("api:space-equipment-list", args=[space.pk])).json()

    assert [row["name"] for row in of_site["results"]] == ["Chaises", "Sono", "Vidéoprojecteur"]
    assert of_space["results"] == [
        {"id": chairs.pk, "site": site.pk, "name": "Chaises", "stock": 50},
        {"id": projector.pk, "site": site.pk, "name": "Vidéoprojecteur", "stock": 1},
    ]


def test_a_booking_asks_for_quantities_and_returns_them(client, space, requester, chairs):
    client.force_login(requester)

    created = client.post(BOOKINGS, _body(space, requester, (chairs, 20)), "application/json")

    assert created.status_code == 201, created.content
    booked = [{"id": chairs.pk, "name": "Chaises", "quantity": 20}]
    assert created.json()["equipment"] == booked
    detail = client.get(reverse("api:booking-detail", args=[created.json()["id"]])).json()
    assert detail == created.json()


def test_a_booking_beyond_the_stock_left_is_a_409(client, site, space, requester, projector):
    booking_request_for(
        space=SpaceFactory(site=site),
        requested_by=requester,
        start=paris(2027, 1, 12, 17),
        end=paris(2027, 1, 12, 19),
        equipment=((projector.pk, 1),),
    )
    client.force_login(requester)

    response = client.post(BOOKINGS, _body(space, requester, (projector, 1)), "application/json")

    assert response.status_code == 409
    assert "Vidéoprojecteur" in str(response.json())
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "equipment",
    [
        [{"equipment": 0, "quantity": 1}],
        [{"equipment": "x", "quantity": 1}],
        [{"equipment": 1, "quantity": 10**20}],
        [{"equipment": 1, "quantity": -1}],
        "chaises",
        [{"equipment": 10**30, "quantity": 1}],
    ],
)
def test_bad_equipment_is_a_400(client, space, requester, chairs, equipment):
    client.force_login(requester)
    body = {**_body(space, requester), "equipment": equipment}

    response = client.post(BOOKINGS, body, "application/json")

    assert response.status_code == 400
    assert "equipment" in response.json()


def test_another_site_s_equipment_or_one_asked_twice_is_a_400(
    client, space, requester, other_site, chairs
):
    elsewhere = Equipment.objects.create(site=other_site, name="Tables", stock=5)
    client.force_login(requester)

    for equipment in [((elsewhere, 1),), ((chairs, 1), (chairs, 2))]:
        response = client.post(BOOKINGS, _body(space, requester, *equipment), "application/json")
        assert response.status_code == 400
        assert "equipment" in response.json()
    assert not Booking.objects.exists()


def test_the_site_manager_adds_and_changes_equipment(client, site, commune_staff, requester):
    client.force_login(commune_staff)

    created = client.post(
        reverse("api:site-equipment-list", args=[site.pk]),
        {"name": "Tables", "stock": 12},
        "application/json",
    )
    url = reverse("api:equipment-detail", args=[created.json()["id"]])
    changed = client.patch(url, {"stock": 20}, "application/json")

    assert created.status_code == 201
    assert changed.json() == {
        "id": created.json()["id"],
        "site": site.pk,
        "name": "Tables",
        "stock": 20,
    }
    client.force_login(requester)
    assert client.patch(url, {"stock": 0}, "application/json").status_code == 404
    assert (
        client.post(
            reverse("api:site-equipment-list", args=[site.pk]),
            {"name": "Sono", "stock": 1},
            "application/json",
        ).status_code
        == 404
    )


def test_the_stock_cannot_go_below_what_is_booked(client, space, requester, commune_staff, chairs):
    booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        equipment=((chairs.pk, 30),),
    )
    client.force_login(commune_staff)

    response = client.patch(
        reverse("api:equipment-detail", args=[chairs.pk]), {"stock": 29}, "application/json"
    )

    assert response.status_code == 400
    assert "stock" in response.json()
