"""The pages of booking on behalf and of quotas (issue 16): the request form offers an agent
the structures and the waivers, a member never; the site's quota page.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

import pytest
from django.urls import reverse

from bookings.models import Booking, BookingQuota, BookingStatus
from bookings.services import quota_save

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def _data(organisation, **extra) -> dict:
    return {
        "organisation": organisation.pk,
        "purpose": "Permanence vélo",
        "attendees": 8,
        "frequency": "once",
        "date": "2027-01-12",
        "start_time": "18:00",
        "end_time": "20:00",
        **extra,
    }


def test_the_request_page_offers_an_agent_the_structures_and_the_waivers(
    client, space, organisation, commune_staff
):
    client.force_login(commune_staff)

    response = client.get(reverse("bookings:booking-create", args=[space.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Pour quelle structure" in page
    assert f'<option value="{organisation.pk}">Les Amis du Vélo</option>' in page
    assert "<legend>Réservation pour le compte d’une structure</legend>" in page
    assert 'value="min_notice"' in page
    assert 'data-filter-label="Filtrer les structures par nom"' in page
    assert "bookings/structure_filter.js" in page


def test_the_request_page_offers_a_member_neither(client, space, requester, other_organisation):
    client.force_login(requester)

    page = client.get(reverse("bookings:booking-create", args=[space.pk])).content.decode()

    assert "Pour quelle structure" not in page
    assert "Repair Café" not in page
    assert 'value="min_notice"' not in page


def test_an_agent_books_on_behalf_from_the_page(
    client, space, organisation, requester, commune_staff
):
    client.force_login(commune_staff)
    data = _data(organisation, date="2027-01-04", start_time="14:00", end_time="16:00")

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]),
        {**data, "waive": ["min_notice"], "approve": "on"},
    )

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert (booking.organisation, booking.requested_by) == (organisation, commune_staff)
    assert booking.on_behalf
    assert booking.waived_min_notice
    assert booking.status == BookingStatus.CONFIRMED
    # The structure's member sees it, with who booked it.
    client.force_login(requester)
    detail = client.get(booking.get_absolute_url()).content.decode()
    assert "pour le compte de la structure" in detail
    assert "Délai de prévenance minimal" in detail
    mine = client.get(reverse("bookings:booking-list")).content.decode()
    assert "réservée pour votre compte" in mine


def test_a_member_cannot_book_for_another_structure_from_the_page(
    client, space, organisation, other_requester
):
    client.force_login(other_requester)

    response = client.post(reverse("bookings:booking-create", args=[space.pk]), _data(organisation))

    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_quota_refusal_is_shown_on_the_page(client, space, site, requester, commune_staff):
    quota_save(actor=commune_staff, site=site, max_hours_per_week=1)
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]),
        _data(requester.memberships.get().organisation),
    )

    assert response.status_code == 400
    assert "Quota atteint" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_quota_page_sets_and_removes_a_quota(client, site, organisation, commune_staff):
    client.force_login(commune_staff)
    url = reverse("bookings:quota-list", args=[site.pk])

    assert client.get(url).status_code == 200
    response = client.post(
        url, {"organisation": organisation.pk, "space_kind": "", "max_hours_per_week": "6"}
    )

    assert response.status_code == 302
    quota = BookingQuota.objects.get()
    assert (quota.organisation, quota.max_hours_per_week) == (organisation, 6)
    page = client.get(url).content.decode()
    assert "Les Amis du Vélo" in page
    client.post(reverse("bookings:quota-delete", args=[quota.pk]))
    assert not BookingQuota.objects.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"max_hours_per_week": "100000000000000000000"},
        {"max_hours_per_month": "=1+1"},
        {"max_pending": "\x00"},
        {"space_kind": "", "max_pending": ""},  # no limit at all
        {"space_kind": "sauna", "max_pending": "2"},
        {"organisation": "999999", "max_pending": "2"},
    ],
)
def test_the_quota_page_answers_hostile_input_in_french(client, site, commune_staff, values):
    client.force_login(commune_staff)

    response = client.post(reverse("bookings:quota-list", args=[site.pk]), values)

    assert response.status_code == 400
    assert "Le formulaire comporte des erreurs" in response.content.decode()
    assert not BookingQuota.objects.exists()


def test_the_quota_page_is_404_for_outsiders(
    client, site, requester, commune_staff, other_commune_staff
):
    quota = quota_save(actor=commune_staff, site=site, max_pending=2)
    for user in (requester, other_commune_staff):
        client.force_login(user)
        assert client.get(reverse("bookings:quota-list", args=[site.pk])).status_code == 404
        assert client.post(reverse("bookings:quota-delete", args=[quota.pk])).status_code == 404
    assert BookingQuota.objects.exists()
