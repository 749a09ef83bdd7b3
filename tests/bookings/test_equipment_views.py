"""Equipment in the browser (issue 16): the request form's quantity fields, the booking page,
the site's stock on its management pages. The services are tested in test_equipment.py.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.urls import reverse

from bookings.models import Booking, Equipment
from tests.factories import SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

SLOT = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00"}


@pytest.fixture
def chairs(site):
    return Equipment.objects.create(site=site, name="Chaises", stock=50)


@pytest.fixture
def projector(site):
    return Equipment.objects.create(site=site, name="Vidéoprojecteur", stock=1)


def _data(member, **extra) -> dict:
    return {
        "organisation": member.memberships.get().organisation_id,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "frequency": "once",
        **SLOT,
        **extra,
    }


def test_the_request_form_has_a_quantity_field_per_item_in_a_fieldset(
    client, space, requester, chairs, projector, site
):
    Equipment.objects.create(site=site, name="Sono", stock=0)  # no longer offered
    client.force_login(requester)

    page = client.get(reverse("bookings:booking-create", args=[space.pk])).content.decode()

    assert "<legend>Matériel prêté avec la salle</legend>" in page
    assert f'<label for="id_equipment_{chairs.pk}">Chaises</label>' in page
    assert f'name="equipment_{projector.pk}"' in page
    assert "Jusqu’à 50." in page
    assert "Sono" not in page


def test_a_request_with_quantities_books_them_and_the_booking_page_shows_them(
    client, space, requester, chairs, projector
):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]),
        _data(requester, **{f"equipment_{chairs.pk}": "30", f"equipment_{projector.pk}": "0"}),
    )

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert list(booking.equipment_uses.values_list("equipment__name", "quantity")) == [
        ("Chaises", 30)
    ]
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "30 × Chaises" in page
    assert "Vidéoprojecteur" not in page


def test_a_request_beyond_what_is_left_is_answered_409_with_the_reason(
    client, space, site, requester, other_requester, projector
):
    booking_request_for(
        space=SpaceFactory(site=site),
        requested_by=other_requester,
        start=paris(2027, 1, 12, 19),
        end=paris(2027, 1, 12, 21),
        equipment=((projector.pk, 1),),
    )
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]),
        _data(requester, **{f"equipment_{projector.pk}": "1"}),
    )

    assert response.status_code == 409
    assert (
        "Il ne reste que 0 « Vidéoprojecteur » à ce moment-là (vous en demandez 1)"
        in response.content.decode()
    )
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("quantity", ["2", "-1", "1e20", "=1+1", "99999999999999999999"])
def test_a_bad_quantity_is_a_form_error_not_a_500(client, space, requester, projector, quantity):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]),
        _data(requester, **{f"equipment_{projector.pk}": quantity}),
    )

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Booking.objects.exists()


def test_the_site_manager_adds_and_changes_the_stock(client, site, commune_staff):
    client.force_login(commune_staff)
    url = reverse("bookings:equipment-list", args=[site.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Tables", "stock": "12"})
    item = Equipment.objects.get()
    edited = client.post(
        reverse("bookings:equipment-edit", args=[item.pk]), {"name": "Tables", "stock": "20"}
    )

    assert response.status_code == 302
    assert edited.status_code == 302
    item.refresh_from_db()
    assert item.stock == 20
    assert "Tables" in client.get(url).content.decode()


def test_lowering_the_stock_below_the_bookings_is_refused_on_the_page(
    client, space, requester, commune_staff, chairs
):
    booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        equipment=((chairs.pk, 30),),
    )
    client.force_login(commune_staff)

    response = client.post(
        reverse("bookings:equipment-edit", args=[chairs.pk]), {"name": "Chaises", "stock": "10"}
    )

    assert response.status_code == 400
    assert "le stock ne peut pas descendre sous 30" in response.content.decode()
    chairs.refresh_from_db()
    assert chairs.stock == 50


def test_the_stock_pages_are_404_to_others_and_login_to_visitors(client, site, requester, chairs):
    urls = [
        reverse("bookings:equipment-list", args=[site.pk]),
        reverse("bookings:equipment-edit", args=[chairs.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(requester)
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "X", "stock": "0"}).status_code == 404
