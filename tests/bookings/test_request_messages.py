"""Refusals of a booking request say why and what to do, in local time and plain French: a
closure by its name, opening hours stated, a past date called past, a clash naming its slot.
The page and the API give the same words.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bookings.exceptions import BookingConflict
from bookings.rules import Period
from bookings.services import closure_create
from spaces.models import BufferMinutes, Weekday
from tests.factories import (
    MembershipFactory,
    OpeningHoursFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

NBSP = "\u00a0"


@pytest.fixture
def other_booker(db):
    return MembershipFactory(
        organisation=VerifiedStructureFactory(name="Repair Café du Denaisis"),
        user=UserFactory(email="repair2@example.test"),
    ).user


def _conflict(call) -> BookingConflict:
    with pytest.raises(BookingConflict) as conflict:
        call()
    return conflict.value


def _refusal(call) -> str:
    with pytest.raises(ValidationError) as refused:
        call()
    return " ".join(
        message for messages in refused.value.message_dict.values() for message in messages
    )


def test_a_closure_is_named_not_shown_as_a_busy_slot(space, booker, territory_admin):
    closure_create(
        actor=territory_admin,
        space=space,
        period=Period(paris(2027, 1, 12), paris(2027, 1, 13)),
        reason="Inventaire annuel",
    )

    conflict = _conflict(
        lambda: booking_request_for(
            space=space,
            requested_by=booker,
            start=paris(2027, 1, 12, 18),
            end=paris(2027, 1, 12, 20),
        )
    )

    assert str(conflict.message).startswith(f"Fermé{NBSP}: Inventaire annuel (mardi 12 janvier)")
    assert "00:00" not in str(conflict.message)


def test_a_closure_of_several_days_gives_its_first_and_last_days(space, booker, territory_admin):
    closure_create(
        actor=territory_admin,
        space=space,
        period=Period(paris(2027, 1, 11), paris(2027, 1, 16)),
        reason="Travaux",
    )

    conflict = _conflict(
        lambda: booking_request_for(
            space=space,
            requested_by=booker,
            start=paris(2027, 1, 12, 18),
            end=paris(2027, 1, 12, 20),
        )
    )

    assert "du lundi 11 janvier au vendredi 15 janvier 2027" in str(conflict.message)


def test_a_clash_names_the_booked_slot_in_local_time(space, booker, other_booker):
    booking_request_for(
        space=space,
        requested_by=other_booker,
        start=paris(2027, 1, 12, 14),
        end=paris(2027, 1, 12, 16),
    )

    conflict = _conflict(
        lambda: booking_request_for(
            space=space,
            requested_by=booker,
            start=paris(2027, 1, 12, 15),
            end=paris(2027, 1, 12, 17),
        )
    )

    assert str(conflict.message) == (
        f"Déjà réservé le mardi 12 janvier de 14{NBSP}h à 16{NBSP}h. Choisissez un autre horaire."
    )
    assert conflict.reasons == [str(conflict.message)]


def test_a_clash_within_the_buffer_says_so(space, booker, other_booker):
    space.buffer_minutes = BufferMinutes.HALF_HOUR
    space.save()
    booking_request_for(
        space=space,
        requested_by=other_booker,
        start=paris(2027, 1, 12, 14),
        end=paris(2027, 1, 12, 16),
    )

    conflict = _conflict(
        lambda: booking_request_for(
            space=space,
            requested_by=booker,
            start=paris(2027, 1, 12, 16),
            end=paris(2027, 1, 12, 17),
        )
    )

    assert "garde 30 minutes libres entre deux réservations" in str(conflict.message)


def test_outside_opening_hours_states_the_hours_of_that_day(space, booker):
    OpeningHoursFactory(
        space=space,
        weekday=Weekday.TUESDAY,
        opens=paris(2027, 1, 12, 9).time(),
        closes=paris(2027, 1, 12, 18).time(),
    )

    message = _refusal(
        lambda: booking_request_for(
            space=space,
            requested_by=booker,
            start=paris(2027, 1, 12, 18),
            end=paris(2027, 1, 12, 20),
        )
    )

    assert f"l’espace est ouvert le mardi de 9{NBSP}h à 18{NBSP}h" in message


def test_a_closed_weekday_is_called_closed(space, booker):
    OpeningHoursFactory(space=space, weekday=Weekday.TUESDAY)

    message = _refusal(
        lambda: booking_request_for(
            space=space,
            requested_by=booker,
            start=paris(2027, 1, 13, 10),
            end=paris(2027, 1, 13, 12),
        )
    )

    assert "l’espace est fermé le mercredi" in message


def test_a_past_date_is_called_past(space, booker):
    message = _refusal(
        lambda: booking_request_for(
            space=space, requested_by=booker, start=paris(2027, 1, 3, 10), end=paris(2027, 1, 3, 12)
        )
    )

    assert message.startswith("Cette date est passée")


def test_the_search_calls_a_past_date_past(client):
    response = client.get(
        reverse("bookings:availability"),
        {"date": "2027-01-03", "start_time": "10:00", "end_time": "12:00"},
    )

    assert response.context["results"] is None
    assert response.context["form"].errors["date"] == [
        f"Cette date est passée{NBSP}: choisissez une date à venir."
    ]


def test_the_page_lists_the_closure_by_its_name(client, space, booker, territory_admin):
    closure_create(
        actor=territory_admin,
        space=space,
        period=Period(paris(2027, 1, 12), paris(2027, 1, 13)),
        reason="Inventaire annuel",
    )
    client.force_login(booker)
    data = {
        "organisation": booker.memberships.get().organisation.pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "frequency": "once",
        "date": "2027-01-12",
        "start_time": "18:00",
        "end_time": "20:00",
    }

    response = client.post(reverse("bookings:booking-create", args=[space.pk]), data)

    assert response.status_code == 409
    html = response.content.decode()
    assert "Inventaire annuel" in html
    assert "occupé de 00:00" not in html


def test_the_api_409_gives_the_same_words(client, space, booker, other_booker):
    booking_request_for(
        space=space,
        requested_by=other_booker,
        start=paris(2027, 1, 12, 14),
        end=paris(2027, 1, 12, 16),
    )
    client.force_login(booker)
    body = {
        "space": space.pk,
        "organisation": booker.memberships.get().organisation.pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "start": "2027-01-12T15:00:00+01:00",
        "end": "2027-01-12T17:00:00+01:00",
    }

    response = client.post(reverse("api:booking-list"), body, content_type="application/json")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Déjà réservé le mardi 12 janvier de 14{NBSP}h à 16{NBSP}h. Choisissez un autre horaire."
    )
