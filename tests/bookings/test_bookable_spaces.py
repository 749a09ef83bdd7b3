"""One rule decides which spaces a requester may book (bookings.selectors.spaces_bookable_by):
the availability search lists only those, and the request service refuses the others with it.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the slot is Tuesday 12 January,
18:00–20:00."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bookings.rules import Period
from bookings.selectors import spaces_available, spaces_bookable_by
from tests.factories import SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
SLOT = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00"}


@pytest.fixture
def communes_only(site):
    return SpaceFactory(site=site, name="Salle du conseil", allowed_organisation_kinds=["commune"])


@pytest.fixture
def open_to_all(site):
    return SpaceFactory(site=site, name="Salle polyvalente")


def _names(spaces) -> set[str]:
    return {space.name for space in spaces}


def test_an_association_does_not_find_a_space_reserved_to_communes(
    booker, communes_only, open_to_all
):
    found = spaces_available(user=booker, period=Period(START, END))

    assert _names(found) == {"Salle polyvalente"}


def test_commune_staff_find_the_space_reserved_to_communes(
    commune_staff, communes_only, open_to_all
):
    found = spaces_available(user=commune_staff, period=Period(START, END))

    assert _names(found) == {"Salle du conseil", "Salle polyvalente"}


def test_visitors_find_every_space_open_to_bookings(client, communes_only, open_to_all):
    response = client.get(reverse("bookings:availability"), SLOT)

    assert _names(response.context["results"]) == {"Salle du conseil", "Salle polyvalente"}
    assert "Connectez-vous pour réserver" in response.content.decode()


def test_the_search_page_of_an_association_leaves_the_reserved_space_out(
    client, booker, communes_only, open_to_all
):
    client.force_login(booker)

    response = client.get(reverse("bookings:availability"), SLOT)

    assert _names(response.context["results"]) == {"Salle polyvalente"}


def test_the_request_service_refuses_the_reserved_space_with_the_same_rule(booker, communes_only):
    organisation = booker.memberships.get().organisation
    assert not spaces_bookable_by([organisation]).filter(pk=communes_only.pk).exists()

    with pytest.raises(ValidationError) as refused:
        booking_request_for(space=communes_only, requested_by=booker, start=START, end=END)

    message = refused.value.message_dict["space"][0]
    assert "réservé" in message
    assert "Commune" in message


def test_the_request_service_accepts_a_commune_on_its_reserved_space(commune_staff, communes_only):
    booking = booking_request_for(
        space=communes_only, requested_by=commune_staff, start=START, end=END
    )

    assert booking.space == communes_only


def test_a_space_open_to_several_kinds_is_bookable_by_each(site, booker, commune_staff):
    shared = SpaceFactory(site=site, allowed_organisation_kinds=["commune", "ess"])
    organisations = [
        booker.memberships.get().organisation,
        commune_staff.memberships.get().organisation,
    ]

    for organisation in organisations:
        assert spaces_bookable_by([organisation]).filter(pk=shared.pk).exists()


def test_a_space_open_to_nobody_is_bookable_by_no_organisation(site, booker):
    closed_list = SpaceFactory(site=site, allowed_organisation_kinds=[])

    assert (
        not spaces_bookable_by([booker.memberships.get().organisation])
        .filter(pk=closed_list.pk)
        .exists()
    )


def test_booking_create_of_a_reserved_space_explains_who_may_book(client, booker, communes_only):
    client.force_login(booker)

    response = client.get(reverse("bookings:booking-create", args=[communes_only.pk]))

    assert response.status_code == 403
    assert "réservé à d’autres organisations" in response.content.decode()
    assert reverse("bookings:availability") in response.content.decode()
