"""Changing a booking (issue 16) through its "Modifier" page and the API
(POST /api/v1/bookings/<id>/reschedule/): statuses, French errors, 404 for outsiders, the
history on the booking's page, and the query counts.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import reverse

from bookings.models import Booking, BookingStatus, Occupancy, QuestionKind, RequestQuestion
from bookings.models.conditions import answer_field
from bookings.services import booking_cancel, request_question_save
from tests.factories import SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
LATER = {"start": "2027-01-14T18:00:00+01:00", "end": "2027-01-14T20:00:00+01:00"}
FORM_LATER = {"date": "2027-01-14", "start_time": "18:00", "end_time": "20:00"}


@pytest.fixture
def booking(space, requester):
    return booking_request_for(space=space, requested_by=requester, start=START, end=END)


def _form(booking: Booking, **values) -> dict:
    return {
        "space": booking.space_id,
        "purpose": booking.purpose,
        "attendees": booking.attendees,
        **FORM_LATER,
        **values,
    }


def _api(booking: Booking) -> str:
    return reverse("api:booking-reschedule", args=[booking.pk])


def test_the_booking_page_offers_the_change(client, booking, requester):
    client.force_login(requester)

    response = client.get(booking.get_absolute_url())

    assert reverse("bookings:booking-change", args=[booking.pk]) in response.content.decode()


def test_the_change_page_moves_the_booking_and_shows_it_in_the_history(
    client, booking, requester, django_assert_num_queries
):
    client.force_login(requester)
    page = reverse("bookings:booking-change", args=[booking.pk])
    with django_assert_num_queries(8):  # the rooms of every building in one query
        form = client.get(page)

    response = client.post(page, _form(booking), follow=True)

    booking.refresh_from_db()
    text = response.content.decode()
    assert form.status_code == 200
    assert 'for="id_start_time"' in form.content.decode()
    assert booking.start == paris(2027, 1, 14, 18)
    assert "Horaire : 12/01/2027 18:00–20:00 → 14/01/2027 18:00–20:00" in text


def test_the_change_page_shows_the_clash_in_french_with_409(
    client, booking, space, requester, other_requester
):
    booking_request_for(
        space=space,
        requested_by=other_requester,
        start=paris(2027, 1, 14, 18),
        end=paris(2027, 1, 14, 20),
    )
    client.force_login(requester)

    response = client.post(reverse("bookings:booking-change", args=[booking.pk]), _form(booking))

    assert response.status_code == 409
    assert "Déjà réservé le jeudi 14 janvier" in response.content.decode()
    booking.refresh_from_db()
    assert booking.start == START


def test_the_change_page_refuses_too_many_attendees_in_french(client, booking, requester):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-change", args=[booking.pk]), _form(booking, attendees=25)
    )

    assert response.status_code == 400
    assert "Cet espace peut accueillir au maximum 20 personnes." in response.content.decode()


def test_the_change_page_is_not_found_for_another_structure(client, booking, other_requester):
    client.force_login(other_requester)

    response = client.get(reverse("bookings:booking-change", args=[booking.pk]))

    assert response.status_code == 404


def test_the_change_page_sends_anonymous_visitors_to_log_in(client, booking):
    response = client.get(reverse("bookings:booking-change", args=[booking.pk]))

    assert response.status_code == 302


def test_the_api_moves_a_booking_to_another_room(
    client, booking, site, requester, django_assert_num_queries
):
    other = SpaceFactory(site=site, name="Salle Jean Macé")
    client.force_login(requester)
    client.get(reverse("api:me"))  # the session read once, as any later call finds it

    with django_assert_num_queries(33):
        response = client.post(
            _api(booking), {**LATER, "space": other.pk}, content_type="application/json"
        )

    assert response.status_code == 200, response.content
    assert (response.json()["space"], response.json()["start"]) == (
        other.pk,
        "2027-01-14T18:00:00+01:00",
    )
    rows = Occupancy.objects.filter(booking=booking, active=True)
    assert list(rows.values_list("space_id", flat=True)) == [other.pk]


def test_the_api_answers_409_with_the_clashes(client, booking, space, requester, other_requester):
    booking_request_for(
        space=space,
        requested_by=other_requester,
        start=paris(2027, 1, 14, 18),
        end=paris(2027, 1, 14, 20),
    )
    client.force_login(requester)

    response = client.post(_api(booking), LATER, content_type="application/json")

    assert response.status_code == 409
    assert response.json()["conflicts"]
    booking.refresh_from_db()
    assert (booking.start, booking.status) == (START, BookingStatus.PENDING)


def test_the_api_answers_409_with_the_status_of_a_cancelled_booking_as_its_schema_says(
    client, booking, requester
):
    """Found by the schema fuzzing: the 409 of a booking that can no longer change carries its
    status, not clashes, and the contract says the 409 may be either."""
    booking_cancel(booking=booking, actor=requester, reason="Plus besoin")
    client.force_login(requester)

    response = client.post(_api(booking), LATER, content_type="application/json")

    assert response.status_code == 409
    assert response.json()["status"] == BookingStatus.CANCELLED
    contract = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "openapi.yaml").read_text())
    answer = contract["paths"]["/api/v1/bookings/{id}/reschedule/"]["post"]["responses"]["409"]
    schema = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    options = contract["components"]["schemas"][schema]["oneOf"]
    assert {"$ref": "#/components/schemas/TransitionRefused"} in options


def test_the_api_wants_both_ends_of_the_new_slot(client, booking, requester):
    client.force_login(requester)

    response = client.post(
        _api(booking), {"start": LATER["start"]}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["end"] == ["Indiquez le début et la fin du nouveau créneau."]


def test_the_api_is_404_for_another_structure_and_403_for_anonymous(
    client, booking, other_requester
):
    anonymous = client.post(_api(booking), LATER, content_type="application/json")
    client.force_login(other_requester)

    outsider = client.post(_api(booking), LATER, content_type="application/json")

    assert (anonymous.status_code, outsider.status_code) == (403, 404)


def test_a_move_to_a_room_with_a_required_question_asks_it_first(
    client, site, booking, requester, commune_staff
):
    room = SpaceFactory(site=site, name="Salle Jaurès", house_rules="Rangez les chaises.")
    question = request_question_save(
        question=RequestQuestion(
            space=room, text="Alcool servi ?", kind=QuestionKind.YES_NO, required=True
        ),
        actor=commune_staff,
    )
    client.force_login(requester)
    page = reverse("bookings:booking-change", args=[booking.pk])
    values = _form(booking, space=room.pk, attendees=5)

    asked = client.post(page, values)
    unanswered = client.post(page, {**values, "answers_for": room.pk})
    answered = client.post(
        page,
        {
            **values,
            "answers_for": room.pk,
            answer_field(question.pk): "no",
            "house_rules_accepted": "on",
        },
    )

    text = asked.content.decode()
    assert asked.status_code == 400
    assert "La nouvelle salle pose des questions ou a un règlement" in text
    assert f'name="question_{question.pk}"' in text
    assert "Rangez les chaises." in text
    assert 'value="2027-01-14"' in text  # the values chosen are kept
    assert unanswered.status_code == 400
    assert f'aria-describedby="id_question_{question.pk}' in unanswered.content.decode()
    assert answered.status_code == 302
    booking.refresh_from_db()
    assert (booking.space_id, booking.attendees) == (room.pk, 5)
    assert booking.answers.get().value == "no"
    assert booking.house_rules_accepted_at is not None
