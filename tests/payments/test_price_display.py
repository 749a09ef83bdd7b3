"""The price and its rule on the request form and on the booking page (payments_tags)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from bookings.models import Booking
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.tariffs import tariff_set
from tests.factories import booking_request_for

PARIS = ZoneInfo("Europe/Paris")
SLOT = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00"}


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


def _data(association, **extra) -> dict:
    return {
        "organisation": association.pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "frequency": "once",
        **SLOT,
        **extra,
    }


def test_the_form_explains_when_the_price_is_computed(client, requester, priced_space):
    client.force_login(requester)

    response = client.get(reverse("bookings:booking-create", args=[priced_space.pk]))

    assert "Le prix est calculé quand vous choisissez une date." in response.text


def test_the_form_shows_the_price_of_the_chosen_slot_with_its_rule(
    client, requester, association, priced_space
):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[priced_space.pk]),
        _data(association, attendees=0),
    )

    assert response.status_code == 400
    text = response.text.replace("\xa0", " ")
    assert "Prix :" in text
    assert "30,00 €" in text
    assert "2 heures × 15,00 €" in text
    assert "Association ou fondation" in text
    assert not Booking.objects.exists()


def test_the_preview_shows_every_date_of_a_series_and_its_total_without_booking(
    client, requester, association, priced_space, mailoutbox
):
    from schedule.models import Event

    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[priced_space.pk]),
        {**_data(association, frequency="weekly", repeat_count=3), "preview": "1"},
    )

    assert response.status_code == 200
    text = response.text.replace("\xa0", " ")
    assert "Votre demande : 3 dates" in text
    assert text.count("18:00–20:00") == 3
    assert "26 janvier 2027, 18:00–20:00" in text
    assert "90,00 €" in text
    assert "2 heures × 15,00 €, pour 3 dates" in text
    assert not Booking.objects.exists()
    assert not Event.objects.exists()
    assert mailoutbox == []


def test_the_preview_of_a_taken_slot_lists_the_clash_and_books_nothing(
    client, requester, association, priced_space
):
    booking_request_for(
        space=priced_space,
        requested_by=requester,
        start=datetime(2027, 1, 12, 19, tzinfo=PARIS),
        end=datetime(2027, 1, 12, 21, tzinfo=PARIS),
    )
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[priced_space.pk]),
        {**_data(association), "preview": "1"},
    )

    assert response.status_code == 409
    assert "Ces dates sont déjà prises" in response.text
    assert Booking.objects.count() == 1


def test_the_form_shows_no_price_for_an_unpriced_space(client, requester, association, space):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-create", args=[space.pk]), _data(association, attendees=0)
    )

    assert "price-quote" not in response.text


def test_the_booking_page_shows_the_price_and_its_rule(client, requester, priced_space):
    booking = booking_request_for(
        space=priced_space,
        requested_by=requester,
        start=datetime(2027, 1, 12, 18, tzinfo=PARIS),
        end=datetime(2027, 1, 12, 20, tzinfo=PARIS),
    )
    client.force_login(requester)

    response = client.get(booking.get_absolute_url())

    text = response.text.replace("\xa0", " ")
    assert "<dt>Prix</dt>" in text
    assert "30,00 €" in text
    assert "2 heures × 15,00 €" in text


def test_the_booking_page_says_free_for_a_free_tariff(client, requester, space, territory_admin):
    tariff_set(
        space=space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.DAY,
        amount_cents=0,
        actor=territory_admin,
    )
    booking = booking_request_for(
        space=space,
        requested_by=requester,
        start=datetime(2027, 1, 12, 18, tzinfo=PARIS),
        end=datetime(2027, 1, 12, 20, tzinfo=PARIS),
    )
    client.force_login(requester)

    response = client.get(booking.get_absolute_url())

    assert "<strong>Gratuit</strong>" in response.text


def test_the_booking_page_shows_nothing_without_a_tariff(client, requester, space):
    booking = booking_request_for(
        space=space,
        requested_by=requester,
        start=datetime(2027, 1, 12, 18, tzinfo=PARIS),
        end=datetime(2027, 1, 12, 20, tzinfo=PARIS),
    )
    client.force_login(requester)

    response = client.get(booking.get_absolute_url())

    assert response.status_code == 200
    assert "<dt>Prix</dt>" not in response.text


def test_bookings_code_does_not_import_payments():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "bookings"
    offenders = [
        path.name
        for path in root.rglob("*.py")
        if "import payments" in path.read_text() or "from payments" in path.read_text()
    ]
    assert offenders == []
