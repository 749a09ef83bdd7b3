"""Issue 13, calendars that show the day: a site's day as a grid of rooms × hours, week views
opened on the opening hours, agreements as all-day bands, and the requester's own calendar."""

import re
from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from bookings import services
from bookings.rules import Period
from tests.factories import (
    OpeningHoursFactory,
    SpaceFactory,
    agreement_signed,
    booking_request_for,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # Monday 4 January 2027, 09:00 in Paris

TUESDAY = "2027-01-12"


def _day(client, site, **params):
    return client.get(
        reverse("bookings:calendar-site-day", args=[site.pk]), {"date": TUESDAY, **params}
    )


def _fr(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


@pytest.fixture
def tuesday(space, site, requester, facilities_manager):
    """Salle Usinor open 8:00–20:00 on Tuesdays, booked 18:00–20:00 on 12 January; a second
    room, always open, closed 14:00–17:00 that day."""
    OpeningHoursFactory(space=space, weekday=1, opens=time(8), closes=time(20))
    booking = booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        purpose="Atelier réparation",
    )
    workshop = SpaceFactory(site=site, name="Atelier bois")
    services.closure_create(
        actor=facilities_manager,
        space=workshop,
        period=Period(paris(2027, 1, 12, 14), paris(2027, 1, 12, 17)),
        reason="Travaux",
    )
    return booking


@pytest.mark.django_db
def test_site_day_shows_rooms_by_hour_with_the_closure_the_booking_and_free_cells(
    client, facilities_manager, site, space, tuesday
):
    client.force_login(facilities_manager)

    response = _day(client, site)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<caption id="day-grid-caption">' in page
    assert re.search(r'<th scope="row"><a href="[^"]+">Atelier bois</a></th>', page)
    assert re.search(r'<th scope="row"><a href="[^"]+">Salle Usinor</a></th>', page)
    # The closure fills its three hours in one cell, with its reason.
    assert re.search(r'class="day-cell day-closed" colspan="3">Fermé[^<]{1,4}Travaux</td>', page)
    # Who booked, for the site's manager, with a link to the booking.
    assert f'href="/reservations/{tuesday.pk}/"' in page
    assert "Vélo" in page
    assert "Atelier réparation" in page
    # Columns from the earliest opening (8:00) to the latest closing (20:00), by the hour.
    headers = re.findall(r'<th scope="col">([^<]+)</th>', page)
    assert headers[1] == "8\u00a0h"
    assert headers[-1] == "19\u00a0h"
    assert len(headers) == 1 + 12


@pytest.mark.django_db
def test_a_free_cell_links_to_the_prefilled_request_form_with_local_times(
    client, requester, site, space, tuesday
):
    client.force_login(requester)

    page = _day(client, site).content.decode()

    create = reverse("bookings:booking-create", args=[space.pk])
    link = f'href="{create}?date=2027-01-12&amp;start_time=10%3A00&amp;end_time=11%3A00"'
    assert link in page
    cell = page[page.index(link) :].split("</a>")[0]
    assert "Réserver" in cell
    assert "Salle Usinor, mardi 12 janvier, 10\u00a0h–11\u00a0h" in cell

    form = client.get(f"{create}?date=2027-01-12&start_time=10:00&end_time=11:00")
    assert form.status_code == 200
    body = form.content.decode()
    assert 'value="2027-01-12"' in body
    assert 'value="10:00"' in body
    assert 'value="11:00"' in body


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider", None])
def test_site_day_shows_busy_not_who_to_others(client, request, site, space, tuesday, persona):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    response = _day(client, site)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Vélo" not in page
    assert "Atelier réparation" not in page
    assert f"/reservations/{tuesday.pk}/" not in page
    assert re.search(rf'class="day-cell day-busy" colspan="2">{_fr("Busy")}</td>', page)


@pytest.mark.django_db
def test_site_day_marks_hours_outside_opening_and_past_hours(client, requester, site, space):
    OpeningHoursFactory(space=space, weekday=0, opens=time(10), closes=time(12))
    SpaceFactory(site=site, name="Atelier bois")  # always open: the columns run 8:00–20:00
    client.force_login(requester)

    page = _day(client, site, date="2027-01-04").content.decode()  # today, 09:00

    usinor = page[page.index("Salle Usinor</a></th>") :].split("</tr>")[0]
    assert "day-outside" in usinor
    assert _fr("Outside opening hours") in usinor
    assert "start_time=10%3A00" in usinor
    assert "start_time=12%3A00" not in usinor
    workshop = page[page.index("Atelier bois</a></th>") :].split("</tr>")[0]
    assert f'class="day-cell day-past">{_fr("Past")}</td>' in workshop  # 8:00–9:00
    assert "start_time=09%3A00" in workshop  # from now on


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["demain", "2027-02-30", "0001-01-01"])
def test_site_day_refuses_a_bad_date_with_400_and_a_french_message(client, site, space, value):
    response = _day(client, site, date=value)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "date" in page
    assert "n’est pas une date valide" in page or "doit être une date" in page


@pytest.mark.django_db
def test_site_day_of_an_unpublished_site_is_404_to_outsiders(client, outsider, site, space):
    site.is_published = False
    site.save(update_fields=["is_published"])
    client.force_login(outsider)

    assert _day(client, site).status_code == 404


@pytest.mark.django_db
def test_site_day_query_count_does_not_grow_with_the_rooms(
    client, facilities_manager, requester, site, space
):
    client.force_login(facilities_manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _day(client, site).status_code == 200
        return len(queries)

    one = count()
    for number in range(5):
        room = SpaceFactory(site=site, name=f"Salle {number}")
        OpeningHoursFactory(space=room, weekday=1)
        booking_request_for(
            space=room,
            requested_by=requester,
            start=paris(2027, 1, 12, 9 + number),
            end=paris(2027, 1, 12, 10 + number),
        )
    assert count() == one


@pytest.mark.django_db
def test_space_calendar_opens_on_the_opening_hours(client, facilities_manager, space):
    OpeningHoursFactory(space=space, weekday=1, opens=time(8, 30), closes=time(18))
    OpeningHoursFactory(space=space, weekday=3, opens=time(9), closes=time(21, 30))
    client.force_login(facilities_manager)

    page = client.get(reverse("bookings:calendar-space", args=[space.pk])).content.decode()

    assert 'data-slot-min-time="08:00:00"' in page
    assert 'data-slot-max-time="22:00:00"' in page
    assert (
        "[{&quot;daysOfWeek&quot;: [2], &quot;startTime&quot;: &quot;08:30&quot;, "
        "&quot;endTime&quot;: &quot;18:00&quot;}, {&quot;daysOfWeek&quot;: [4]" in page
    )


@pytest.mark.django_db
def test_calendar_of_an_always_open_space_keeps_the_whole_day(client, facilities_manager, space):
    client.force_login(facilities_manager)

    page = client.get(reverse("bookings:calendar-space", args=[space.pk])).content.decode()

    assert 'data-slot-min-time="00:00:00"' in page
    assert 'data-slot-max-time="24:00:00"' in page
    assert "data-business-hours" not in page  # no hours to shade


@pytest.mark.django_db
def test_an_agreement_is_an_all_day_band_in_the_feed(
    client, facilities_manager, requester, organisation, site
):
    office = SpaceFactory(site=site, name="Bureau 3", allocatable=True, bookable=False)
    agreement_signed(
        actor=requester,
        structure=organisation,
        spaces=[office],
        start=date(2027, 2, 1),
        end=date(2028, 2, 1),
    )
    client.force_login(facilities_manager)

    events = client.get(
        reverse("bookings:calendar-events"),
        {"space": office.pk, "start": "2027-02-08T00:00:00", "end": "2027-02-15T00:00:00"},
    ).json()

    assert len(events) == 1
    assert events[0]["allDay"] is True
    assert (events[0]["start"], events[0]["end"]) == ("2027-02-01", "2028-02-01")


@pytest.mark.django_db
def test_my_calendar_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("bookings:calendar-mine"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_my_calendar_and_its_feed_show_only_my_organisations_bookings(
    client, requester, other_requester, space, site
):
    mine = booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        purpose="Atelier réparation",
    )
    booking_request_for(
        space=SpaceFactory(site=site, name="Atelier bois"),
        requested_by=other_requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        purpose="Café réparation",
    )
    client.force_login(requester)

    page = client.get(reverse("bookings:calendar-mine"))
    events = client.get(
        reverse("bookings:calendar-events"),
        {"scope": "mine", "start": "2027-01-11T00:00:00", "end": "2027-01-18T00:00:00"},
    ).json()

    assert page.status_code == 200
    assert "Atelier réparation" in page.content.decode()
    assert "Café réparation" not in page.content.decode()
    assert [event["url"] for event in events] == [f"/reservations/{mine.pk}/"]
    assert events[0]["title"].startswith("Salle Usinor — ")
    assert "Atelier réparation" in events[0]["title"]
