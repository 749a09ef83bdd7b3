"""Check-in pages (issue 16): the setting and the door poster (its QR code with a text
alternative, the link printed), the door page a member reaches by scanning it, the button on a
booking's page, the no-shows on the booking's page, in the queue and on the site's page.

The clock starts on Monday 4 January 2027, 09:00 in Paris; the booked date is Tuesday 12
January, 18:00–22:00.
"""

import base64
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse

from bookings.models import CheckInSetting, Occupancy
from bookings.services import bookings_release_no_shows, check_in_settings_set
from tests.factories import SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 22)


@pytest.fixture
def door_space(site, facilities_manager, frozen_clock):
    space = SpaceFactory(site=site, name="Salle Usinor", instant_confirmation=True)
    check_in_settings_set(space=space, actor=facilities_manager, required=True, grace_minutes=15)
    return space


@pytest.fixture
def booking(door_space, requester, frozen_clock):
    return booking_request_for(space=door_space, requested_by=requester, start=START, end=END)


def _door(space) -> str:
    return reverse("bookings:check-in-door", args=[CheckInSetting.objects.get(space=space).token])


# --- The setting and the poster (managers) ---


def test_the_setting_page_saves_the_setting(client, space, facilities_manager):
    client.force_login(facilities_manager)
    url = reverse("bookings:space-check-in", args=[space.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"required": "on", "grace_minutes": "20"})

    assert response.status_code == 302
    setting = CheckInSetting.objects.get(space=space)
    assert (setting.required, setting.grace_minutes) == (True, 20)


def test_the_setting_page_refuses_a_grace_period_out_of_bounds(client, space, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(
        reverse("bookings:space-check-in", args=[space.pk]),
        {"required": "on", "grace_minutes": "500"},
    )

    assert response.status_code == 400
    assert "120" in response.content.decode()
    assert not CheckInSetting.objects.filter(space=space).exists()


def test_the_setting_page_is_not_found_for_others(client, space, requester, outsider):
    for user in (requester, outsider):
        client.force_login(user)
        assert client.get(reverse("bookings:space-check-in", args=[space.pk])).status_code == 404


def test_the_poster_shows_the_qr_code_with_a_text_alternative_and_the_link(
    client, door_space, facilities_manager, settings
):
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:space-check-in-poster", args=[door_space.pk]))

    html = response.content.decode()
    door = settings.SITE_URL.rstrip("/") + _door(door_space)
    assert response.status_code == 200
    assert 'src="data:image/svg+xml' in html
    assert f'alt="QR code menant à la page d’arrivée de cette salle : {door}"' in html
    assert f"<code>{door}</code>" in html
    start = html.index('src="data:image/svg+xml') + len('src="')
    uri = html[start : html.index('"', start)]
    svg = unquote(uri.split(",", 1)[1]) if ";base64" not in uri else base64.b64decode(uri)
    assert "<svg" in str(svg)


def test_rotating_the_link_makes_the_old_door_page_not_found(
    client, door_space, facilities_manager, requester
):
    old = _door(door_space)
    client.force_login(facilities_manager)
    client.post(reverse("bookings:space-check-in", args=[door_space.pk]), {"rotate": "1"})
    client.force_login(requester)

    assert client.get(old).status_code == 404
    assert client.get(_door(door_space)).status_code == 200


# --- The door page (members) ---


def test_the_door_page_asks_an_anonymous_visitor_to_sign_in(client, door_space):
    response = client.get(_door(door_space))

    assert response.status_code == 302
    assert "/connexion/" in response["Location"] or "login" in response["Location"]


def test_an_unknown_door_link_is_not_found(client, requester):
    client.force_login(requester)

    assert client.get(reverse("bookings:check-in-door", args=["x" * 43])).status_code == 404


def test_the_door_page_lists_the_members_date_and_records_the_arrival(
    client, booking, door_space, requester
):
    client.force_login(requester)
    url = _door(door_space)
    row = booking.occupancies.get()

    with time_machine.travel(START - timedelta(minutes=10), tick=False):
        page = client.get(url)
        response = client.post(url, {"occupancy": row.pk})
        after = client.get(url)

    assert "Je suis arrivé·e" in page.content.decode()
    assert response.status_code == 302
    assert Occupancy.objects.get(pk=row.pk).checked_in_by == requester
    assert "Arrivée enregistrée à 17:50" in after.content.decode()


def test_the_door_page_shows_another_structure_nothing_to_check_in(
    client, booking, door_space, other_requester
):
    client.force_login(other_requester)
    row = booking.occupancies.get()

    with time_machine.travel(START, tick=False):
        page = client.get(_door(door_space))
        response = client.post(_door(door_space), {"occupancy": row.pk})

    assert "Je suis arrivé·e" not in page.content.decode()
    assert response.status_code == 400
    assert Occupancy.objects.get(pk=row.pk).checked_in_at is None


def test_the_door_page_reads_a_fixed_number_of_queries(
    client, booking, door_space, requester, django_assert_num_queries
):
    client.force_login(requester)
    url = _door(door_space)

    # Session, user, the door's setting, the dates (one query), the menu, the session saved
    # (its expiry moves with the clock), and the messages: not one per date.
    with time_machine.travel(START, tick=False), django_assert_num_queries(8):
        client.get(url)


# --- The booking's page, the queue, the site's page ---


def test_the_booking_page_offers_the_check_in_to_the_member_in_the_window(
    client, booking, requester
):
    client.force_login(requester)
    url = reverse("bookings:booking-detail", args=[booking.pk])

    with time_machine.travel(START - timedelta(minutes=40), tick=False):
        early = client.get(url).content.decode()
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        page = client.get(url).content.decode()
        response = client.post(reverse("bookings:booking-check-in", args=[booking.pk]))
        after = client.get(url).content.decode()

    assert "Je suis arrivé·e" not in early
    assert "Je suis arrivé·e" in page
    assert response.status_code == 302
    assert "arrivée enregistrée à 18:05" in after


def test_the_check_in_button_is_not_found_for_a_manager(client, booking, facilities_manager):
    client.force_login(facilities_manager)

    with time_machine.travel(START, tick=False):
        response = client.post(reverse("bookings:booking-check-in", args=[booking.pk]))

    assert response.status_code == 404


def test_managers_see_the_structures_no_shows(client, booking, facilities_manager, site):
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        bookings_release_no_shows()
        client.force_login(facilities_manager)
        page = client.get(reverse("bookings:booking-detail", args=[booking.pk])).content.decode()
        site_page = client.get(reverse("bookings:site-no-shows", args=[site.pk]))

    assert "1 absence sur 12 mois" in page
    assert "absence" in page
    assert "libéré à partir de 18:20" in page
    assert site_page.status_code == 200
    assert "Les Amis du Vélo" in site_page.content.decode()


def test_the_queue_shows_the_no_shows_of_each_structure(
    client, booking, door_space, requester, facilities_manager
):
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        bookings_release_no_shows()
    door_space.instant_confirmation = False
    door_space.save(update_fields=["instant_confirmation"])
    with time_machine.travel(paris(2027, 1, 13, 9), tick=False):
        booking_request_for(
            space=door_space,
            requested_by=requester,
            start=paris(2027, 1, 19, 18),
            end=paris(2027, 1, 19, 20),
        )
        client.force_login(facilities_manager)
        page = client.get(reverse("bookings:pending")).content.decode()

    assert "1 absence sur 12 mois" in page


def test_the_site_no_shows_page_is_not_found_for_others(client, site, requester):
    client.force_login(requester)

    assert client.get(reverse("bookings:site-no-shows", args=[site.pk])).status_code == 404


def test_a_malformed_date_on_the_booking_page_is_not_an_error(client, booking, requester):
    client.force_login(requester)

    with time_machine.travel(START, tick=False):
        response = client.post(
            reverse("bookings:booking-check-in", args=[booking.pk]),
            {"occurrence_start": "2027-02-30T18:00:00+01:00"},
        )

    assert response.status_code == 302
    assert booking.occupancies.get().checked_in_at == START


# --- Follow-ups: a manager's word on a date, from the booking's page ---


def test_a_manager_records_an_arrival_from_the_booking_page(client, booking, facilities_manager):
    client.force_login(facilities_manager)
    url = reverse("bookings:booking-detail", args=[booking.pk])

    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        page = client.get(url).content.decode()
        response = client.post(
            reverse("bookings:booking-arrival-record", args=[booking.pk]),
            {"occurrence_start": START.isoformat()},
        )
        after = client.get(url).content.decode()

    assert "La structure est arrivée" in page
    assert response.status_code == 302
    assert "arrivée enregistrée à 18:05" in after
    assert "Arrivée enregistrée par un gestionnaire." in after


def test_a_manager_cancels_a_no_show_from_the_booking_page(client, booking, facilities_manager):
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        bookings_release_no_shows()
    client.force_login(facilities_manager)
    url = reverse("bookings:booking-detail", args=[booking.pk])

    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        page = client.get(url).content.decode()
        response = client.post(
            reverse("bookings:booking-no-show-undo", args=[booking.pk]),
            {"occurrence_start": START.isoformat()},
            follow=True,
        )

    assert "Annuler l’absence" in page
    assert "L’absence est annulée et le temps libéré revient à la structure." in (
        response.content.decode()
    )
    assert booking.occupancies.get().end == END


def test_the_managers_buttons_are_not_found_for_others(client, booking, requester, outsider):
    for user in (requester, outsider):
        client.force_login(user)
        for name in ("bookings:booking-arrival-record", "bookings:booking-no-show-undo"):
            response = client.post(
                reverse(name, args=[booking.pk]), {"occurrence_start": "\x00" * 50}
            )
            assert response.status_code == 404
