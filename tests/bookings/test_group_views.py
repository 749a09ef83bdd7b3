"""Several rooms at once in the browser (issue 16): the request page's other rooms of the
building, the group on the booking's page, "approve all" from the page and the queue.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

import pytest
from django.urls import reverse

from bookings.models import Booking, BookingGroup, BookingStatus
from tests.factories import SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

SLOT = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00"}


@pytest.fixture
def hall(site):
    return SpaceFactory(site=site, name="Grande salle", instant_confirmation=False)


@pytest.fixture
def kitchen(site):
    return SpaceFactory(site=site, name="Cuisine", instant_confirmation=False)


def _data(requester, *rooms) -> dict:
    return {
        "organisation": requester.memberships.get().organisation_id,
        "purpose": "Repas de quartier",
        "attendees": 12,
        "frequency": "once",
        **SLOT,
        "salles-also": [room.pk for room in rooms],
    }


def test_the_request_page_offers_the_other_rooms_of_the_building(
    client, hall, kitchen, other_site, requester
):
    SpaceFactory(site=other_site, name="Salle ailleurs")
    client.force_login(requester)

    page = client.get(reverse("bookings:booking-create", args=[hall.pk])).content.decode()

    assert "<legend>Autres salles de ce bâtiment, au même moment</legend>" in page
    assert f'name="salles-also" value="{kitchen.pk}"' in page
    assert "Salle ailleurs" not in page
    assert f'name="salles-also" value="{hall.pk}"' not in page


def test_ticking_a_room_books_both_and_the_page_links_the_sibling(client, hall, kitchen, requester):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[hall.pk]), _data(requester, kitchen)
    )

    group = BookingGroup.objects.get()
    first, second = group.bookings.order_by("pk")
    assert response.status_code == 302
    assert response["Location"] == first.get_absolute_url()
    page = client.get(first.get_absolute_url()).content.decode()
    assert "Demandées ensemble : 2 salles" in page
    assert f'<a href="{second.get_absolute_url()}">Cuisine</a>' in page


def test_a_clash_in_the_other_room_is_a_409_naming_it_and_nothing_is_booked(
    client, hall, kitchen, requester, other_requester
):
    booking_request_for(
        space=kitchen,
        requested_by=other_requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
    )
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[hall.pk]), _data(requester, kitchen)
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Cuisine : Déjà réservé le mardi 12 janvier" in page
    assert "Pour une série, cochez" not in page  # the rooms go together or not at all
    assert not Booking.objects.filter(space=hall).exists()


def test_the_manager_approves_all_the_rooms_from_the_queue(
    client, hall, kitchen, requester, facilities_manager
):
    client.force_login(requester)
    client.post(reverse("bookings:booking-create", args=[hall.pk]), _data(requester, kitchen))
    group = BookingGroup.objects.get()
    client.force_login(facilities_manager)

    queue = client.get(reverse("bookings:pending")).content.decode()
    response = client.post(reverse("bookings:group-approve", args=[group.pk]) + "?file=1")

    assert "Accepter toutes ses salles" in queue
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:pending")
    assert set(group.bookings.values_list("status", flat=True)) == {BookingStatus.CONFIRMED}


def test_approve_all_is_a_404_to_the_requester_and_to_others(
    client, hall, kitchen, requester, outsider
):
    client.force_login(requester)
    client.post(reverse("bookings:booking-create", args=[hall.pk]), _data(requester, kitchen))
    group = BookingGroup.objects.get()

    as_requester = client.post(reverse("bookings:group-approve", args=[group.pk]))
    client.force_login(outsider)
    as_outsider = client.post(reverse("bookings:group-approve", args=[group.pk]))

    assert (as_requester.status_code, as_outsider.status_code) == (404, 404)
    assert set(group.bookings.values_list("status", flat=True)) == {BookingStatus.PENDING}


# --- The group's page, refuse all, cancel all ---


@pytest.fixture
def group(client, hall, kitchen, requester):
    client.force_login(requester)
    client.post(reverse("bookings:booking-create", args=[hall.pk]), _data(requester, kitchen))
    return BookingGroup.objects.get()


def test_the_group_page_costs_the_same_for_two_rooms_or_three(
    client, group, site, requester, django_assert_num_queries
):
    url = reverse("bookings:group-detail", args=[group.pk])
    with django_assert_num_queries(GROUP_PAGE_QUERIES):
        page = client.get(url).content.decode()
    booking = group.bookings.first()
    booking.pk = None  # a third room in the group, to count again
    booking.space = SpaceFactory(site=site, name="Salle annexe")
    booking.save()

    with django_assert_num_queries(GROUP_PAGE_QUERIES):
        bigger = client.get(url).content.decode()

    assert "Demandées ensemble : 2 salles" in page
    assert "Annuler les 2 salles…" in page
    assert "Refuser" not in page  # the structure decides nothing
    assert "Salle annexe" in bigger
    detail = client.get(group.bookings.first().get_absolute_url()).content.decode()
    assert f'href="{url}"' in detail


GROUP_PAGE_QUERIES = 8


def test_the_group_page_is_a_404_to_another_structure(client, group, other_requester):
    client.force_login(other_requester)

    response = client.get(reverse("bookings:group-detail", args=[group.pk]))

    assert response.status_code == 404


def test_refuse_all_from_the_queue_needs_a_reason_then_refuses_every_room(
    client, group, facilities_manager
):
    client.force_login(facilities_manager)
    url = reverse("bookings:group-refuse", args=[group.pk]) + "?file=1"

    queue = client.get(reverse("bookings:pending")).content.decode()
    page = client.get(reverse("bookings:group-detail", args=[group.pk])).content.decode()
    missing = client.post(url, {"reason": "  "})
    asked = client.post(url, {"reason": "Salles en travaux"})
    done = client.post(url, {"reason": "Salles en travaux", "confirm": "yes"})

    assert "Refuser toutes ses salles" in queue
    assert "Refuser les 2 salles en attente de décision…" in page
    assert "Accepter les 2 salles en attente de décision" in page
    assert missing.status_code == 400
    assert '<a href="#id_refuse_reason">Motif</a> : Ce champ est obligatoire.' in (
        missing.content.decode()
    )
    assert "<dd>Grande salle, Cuisine</dd>" in asked.content.decode()
    assert "Confirmer : refuser toutes les salles" in asked.content.decode()
    assert done["Location"] == reverse("bookings:pending")
    assert set(group.bookings.values_list("status", flat=True)) == {BookingStatus.REFUSED}


def test_the_structure_cancels_every_room_from_the_group_page(client, group, requester):
    url = reverse("bookings:group-cancel", args=[group.pk])

    response = client.post(url, {"reason": "Repas reporté", "confirm": "yes"})

    assert response["Location"] == reverse("bookings:group-detail", args=[group.pk])
    assert set(group.bookings.values_list("status", flat=True)) == {BookingStatus.CANCELLED}
