"""Waiting for a slot in the browser (issue 16): the request form offers to wait when a one-off
slot is taken, the structure's waits page (accept, withdraw), a space's line for its managers;
another structure gets 404.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

import pytest
from django.urls import reverse

from bookings.models import (
    Booking,
    QuestionKind,
    RequestQuestion,
    SlotWait,
    SlotWaitSetting,
    SlotWaitStatus,
)
from bookings.models.conditions import answer_field
from bookings.rules import Period
from bookings.services import (
    booking_refuse,
    request_question_save,
    slot_wait_join,
    slot_waits_offer,
)
from tests.factories import booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
FORM = {
    "purpose": "Assemblée générale",
    "attendees": "15",
    "date": "2027-01-12",
    "start_time": "18:00",
    "end_time": "20:00",
}


@pytest.fixture
def taken(space, other_requester):
    return booking_request_for(space=space, requested_by=other_requester, start=START, end=END)


def _wait(space, user) -> SlotWait:
    return slot_wait_join(
        space=space,
        organisation=user.memberships.first().organisation,
        period=Period(START, END),
        purpose="Assemblée générale",
        attendees=15,
        requested_by=user,
    )


def test_a_clash_on_a_one_off_request_offers_to_wait(client, space, requester, taken):
    client.force_login(requester)
    organisation = requester.memberships.first().organisation_id

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]),
        {**FORM, "organisation": organisation, "frequency": "once"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Attendre ce créneau" in page
    assert reverse("bookings:slot-wait-create", args=[space.pk]) in page


def test_a_series_that_clashes_is_not_offered_a_wait(client, space, requester, taken):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]),
        {
            **FORM,
            "organisation": requester.memberships.first().organisation_id,
            "frequency": "weekly",
            "repeat_count": "3",
        },
    )

    assert response.status_code == 409
    assert "Attendre ce créneau" not in response.content.decode()


def test_the_wait_button_joins_the_line(client, space, requester, taken):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:slot-wait-create", args=[space.pk]),
        {**FORM, "organisation": requester.memberships.first().organisation_id},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:slot-wait-list")
    assert SlotWait.objects.get().status == SlotWaitStatus.WAITING


def test_a_refused_wait_shows_why_on_the_form(client, space, requester):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:slot-wait-create", args=[space.pk]),
        {**FORM, "organisation": requester.memberships.first().organisation_id},
    )

    assert response.status_code == 400
    assert "Ce créneau est libre" in response.content.decode()


def test_the_waits_page_shows_the_place_in_line_and_an_offer(
    client, space, requester, taken, commune_staff, django_assert_num_queries
):
    wait = _wait(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Travaux")
    slot_waits_offer(space_id=space.pk)
    client.force_login(requester)
    client.get(reverse("bookings:booking-list"))

    with django_assert_num_queries(4):
        response = client.get(reverse("bookings:slot-wait-list"))

    page = response.content.decode()
    assert "Le créneau est libre et proposé à votre structure jusqu’au" in page
    assert reverse("bookings:slot-wait-accept", args=[wait.pk]) in page


def test_accepting_on_the_page_makes_the_request(client, space, requester, taken, commune_staff):
    wait = _wait(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Travaux")
    slot_waits_offer(space_id=space.pk)
    client.force_login(requester)

    response = client.post(reverse("bookings:slot-wait-accept", args=[wait.pk]))

    booking = Booking.objects.get(organisation=wait.organisation)
    assert response["Location"] == booking.get_absolute_url()


def test_withdrawing_on_the_page(client, space, requester, taken):
    wait = _wait(space, requester)
    client.force_login(requester)

    client.post(reverse("bookings:slot-wait-withdraw", args=[wait.pk]))

    wait.refresh_from_db()
    assert wait.status == SlotWaitStatus.WITHDRAWN


def test_another_structure_gets_404(client, space, requester, other_requester, taken):
    wait = _wait(space, requester)
    client.force_login(other_requester)

    assert client.post(reverse("bookings:slot-wait-accept", args=[wait.pk])).status_code == 404
    assert client.post(reverse("bookings:slot-wait-withdraw", args=[wait.pk])).status_code == 404
    assert client.get(reverse("bookings:space-slot-waits", args=[space.pk])).status_code == 404
    assert "Les Amis du Vélo" not in client.get(reverse("bookings:slot-wait-list")).content.decode()


def test_the_managers_see_the_line_with_names(client, space, requester, taken, commune_staff):
    _wait(space, requester)
    client.force_login(commune_staff)
    client.get(reverse("bookings:booking-list"))

    response = client.get(reverse("bookings:space-slot-waits", args=[space.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Les Amis du Vélo" in page
    assert "1 structure attend un créneau de cet espace." in page


# --- Follow-ups: the space's questions on acceptance, the offer duration on the line's page ---


def test_accepting_asks_the_spaces_questions_required_ones_too(
    client, space, requester, taken, commune_staff, django_assert_num_queries
):
    question = request_question_save(
        question=RequestQuestion(
            space=space, text="Alcool servi ?", kind=QuestionKind.YES_NO, required=True
        ),
        actor=commune_staff,
    )
    wait = _wait(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Travaux")
    slot_waits_offer(space_id=space.pk)
    client.force_login(requester)
    url = reverse("bookings:slot-wait-accept", args=[wait.pk])

    listed = client.get(reverse("bookings:slot-wait-list")).content.decode()
    with django_assert_num_queries(6):  # the same whatever the number of questions
        form = client.get(url)
    unanswered = client.post(url, {})
    answered = client.post(url, {answer_field(question.pk): "no"})

    assert "Répondre aux questions et accepter" in listed
    assert form.status_code == 200
    assert f'name="question_{question.pk}"' in form.content.decode()
    assert unanswered.status_code == 400
    assert f'aria-describedby="id_question_{question.pk}' in unanswered.content.decode()
    booking = Booking.objects.get(organisation=wait.organisation)
    assert answered["Location"] == booking.get_absolute_url()
    assert booking.answers.get().value == "no"


def test_the_line_page_sets_the_offer_duration(client, space, commune_staff):
    client.force_login(commune_staff)
    url = reverse("bookings:space-slot-waits", args=[space.pk])

    refused = client.post(url, {"offer_hours": "100000000000000000000"})
    saved = client.post(url, {"offer_hours": "6"})
    page = client.get(url).content.decode()

    assert refused.status_code == 400
    assert saved.status_code == 302
    assert SlotWaitSetting.objects.get(space=space).offer_hours == 6
    assert "pendant 6 heures au plus" in page
