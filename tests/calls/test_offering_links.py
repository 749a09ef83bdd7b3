"""A long-term office leads to its open call or to the waiting list, never to a booking form
that answers 404: on its page, and when its booking address is opened anyway."""

import pytest
from django.urls import reverse

from calls import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_the_office_page_has_no_request_button_but_applies_to_the_call(client, call, office):
    html = client.get(office.get_absolute_url()).content.decode()

    assert reverse("bookings:booking-create", args=[office.pk]) not in html
    assert "Candidater à l’appel" in html
    assert call.get_absolute_url() in html


def test_without_an_open_call_the_office_page_offers_the_waiting_list(client, office):
    html = client.get(office.get_absolute_url()).content.decode()

    assert reverse("bookings:booking-create", args=[office.pk]) not in html
    assert reverse("calls:waiting-create") in html
    assert "S’inscrire sur la liste d’attente" in html


def test_the_waiting_list_button_is_for_those_who_may_register_a_need(
    client, office, applicant, manager
):
    """A structure's member and a visitor (asked to sign in) get the button; commune staff
    without a structure, whom the form answers 404, read who may register instead."""
    client.force_login(applicant)
    assert reverse("calls:waiting-create") in client.get(office.get_absolute_url()).content.decode()

    client.force_login(manager)
    html = client.get(office.get_absolute_url()).content.decode()

    assert client.get(reverse("calls:waiting-create")).status_code == 404
    assert reverse("calls:waiting-create") not in html
    assert "les membres des structures de l’ESS peuvent s’inscrire" in html


def test_after_the_call_closes_the_office_page_offers_the_waiting_list(
    client, call, office, manager
):
    services.call_close(call=call, actor=manager)

    html = client.get(office.get_absolute_url()).content.decode()

    assert reverse("calls:waiting-create") in html


def test_booking_create_of_an_office_explains_and_leads_to_the_call(
    client, call, office, applicant
):
    client.force_login(applicant)

    response = client.get(reverse("bookings:booking-create", args=[office.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cet espace ne se réserve pas à l’heure" in html
    assert call.get_absolute_url() in html


def test_booking_create_of_an_office_for_a_visitor_asks_to_sign_in(client, office):
    response = client.get(reverse("bookings:booking-create", args=[office.pk]))

    assert response.status_code == 302
