"""A weekly series changed from a date (issue 16): the service `booking_series_reschedule` on
both databases and its race on PostgreSQL, the "Modifier" page of a series, and
POST /api/v1/bookings/<id>/reschedule/ with `from_date`.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the clocks go forward on
28 March 2027.
"""

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from icalendar import Calendar
from schedule.models import Event

from bookings import ics
from bookings.exceptions import BookingConflict
from bookings.models import Booking, BookingLog, Frequency, Occupancy
from bookings.services import (
    SeriesChange,
    booking_cancel,
    booking_series_reschedule,
    calendar_feed_create,
)
from core.models import OutboxMail
from tests.factories import PARIS, SpaceFactory, booking_request_for, paris
from tests.helpers import race, requesters

pytestmark = pytest.mark.usefixtures("frozen_clock")

# Six Tuesdays, 18:00-20:00, from 2 March to 6 April 2027 (across the 28 March change).
FIRST = (paris(2027, 3, 2, 18), paris(2027, 3, 2, 20))
FROM = date(2027, 3, 16)


@pytest.fixture
def series(space, requester) -> Booking:
    return booking_request_for(
        space=space,
        requested_by=requester,
        start=FIRST[0],
        end=FIRST[1],
        frequency=Frequency.WEEKLY,
        repeat_count=6,
    )


def _slots(booking: Booking) -> list[tuple[int, date, time, time]]:
    """(room, day, start, end) of each active date, in Paris wall-clock time."""
    return [
        (
            row.space_id,
            row.start.astimezone(PARIS).date(),
            row.start.astimezone(PARIS).time(),
            row.end.astimezone(PARIS).time(),
        )
        for row in Occupancy.objects.filter(booking=booking, active=True).order_by("start")
    ]


def _tuesdays(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=n) for n in range(count)]


@pytest.mark.django_db
def test_series_moved_from_a_date_keeps_the_earlier_dates_and_the_wall_clock(
    series, space, requester, facilities_manager
):
    old_event = series.event_id

    booking_series_reschedule(
        booking=series,
        change=SeriesChange(from_date=FROM, start_time=time(19), end_time=time(21)),
        actor=requester,
    )

    series.refresh_from_db()
    log = BookingLog.objects.filter(booking=series).last()
    early = [(space.pk, day, time(18), time(20)) for day in _tuesdays(date(2027, 3, 2), 2)]
    late = [(space.pk, day, time(19), time(21)) for day in _tuesdays(FROM, 4)]
    # 30 March and 6 April are after the change to summer time: still 19:00 in Paris.
    assert _slots(series) == early + late
    assert (series.start, series.end) == FIRST  # its first date did not change
    assert series.event.start == paris(2027, 3, 16, 19)
    assert Event.objects.get(pk=old_event).end_recurring_period == paris(2027, 3, 16, 0)
    assert log.change["before"]["start"] == "2027-03-16T17:00:00+00:00"
    assert log.change["after"]["start"] == "2027-03-16T18:00:00+00:00"
    assert "Horaire : 16/03/2027 18:00–20:00 → 16/03/2027 19:00–21:00" in log.change_lines()
    sent = OutboxMail.objects.get(about=f"booking {series.pk}, changed_by_requester")
    assert (
        "À partir du 16 mars 2027 : Salle Usinor, toutes les semaines, de 19:00 à 21:00, "
        "jusqu'au 6 avril 2027 ; les dates précédentes ne changent pas." in sent.body
    )


@pytest.mark.django_db
def test_a_date_cancelled_on_its_own_stays_cancelled_through_two_changes(series, requester):
    booking_cancel(
        booking=series, actor=requester, reason="Congés", occurrence_start=paris(2027, 3, 23, 18)
    )
    booking_series_reschedule(
        booking=series,
        change=SeriesChange(from_date=FROM, start_time=time(19), end_time=time(21)),
        actor=requester,
    )

    booking_series_reschedule(  # from a date before the first change's
        booking=series,
        change=SeriesChange(from_date=date(2027, 3, 9), start_time=time(20), end_time=time(22)),
        actor=requester,
    )

    series.refresh_from_db()
    days = [date(2027, 3, 9), FROM, date(2027, 3, 30), date(2027, 4, 6)]
    assert _slots(series) == [(series.space_id, date(2027, 3, 2), time(18), time(20))] + [
        (series.space_id, day, time(20), time(22)) for day in days
    ]


@pytest.mark.django_db
def test_a_whole_series_moved_to_another_room_and_shortened(site, series, space, requester):
    hall = SpaceFactory(site=site, name="Grande salle")

    booking_series_reschedule(
        booking=series,
        change=SeriesChange(from_date=date(2027, 3, 2), space=hall.pk, until=date(2027, 3, 23)),
        actor=requester,
    )

    series.refresh_from_db()
    assert _slots(series) == [
        (hall.pk, day, time(18), time(20)) for day in _tuesdays(date(2027, 3, 2), 4)
    ]
    assert (series.space_id, series.repeat_until, series.repeat_count) == (
        hall.pk,
        date(2027, 3, 23),
        None,
    )
    assert not Occupancy.objects.filter(space=space, active=True).exists()
    assert not Event.objects.filter(calendar__slug=f"space-{space.pk}").exists()


@pytest.mark.django_db
def test_a_series_extended_onto_taken_dates_changes_nothing_and_names_every_clash(
    series, space, requester, other_requester
):
    for day in (date(2027, 3, 23), date(2027, 4, 20)):  # a moved date and an added one
        start = paris(day.year, day.month, day.day, 21)
        booking_request_for(
            space=space, requested_by=other_requester, start=start, end=start + timedelta(hours=1)
        )
    before = _slots(series)

    with pytest.raises(BookingConflict) as caught:
        booking_series_reschedule(
            booking=series,
            change=SeriesChange(
                from_date=FROM, start_time=time(21), end_time=time(22), until=date(2027, 4, 27)
            ),
            actor=requester,
        )

    series.refresh_from_db()
    assert len(caught.value.reasons) == 2
    assert "23" in caught.value.reasons[0]
    assert "20" in caught.value.reasons[1]
    assert (_slots(series), series.event.start) == (before, FIRST[0])
    assert not BookingLog.objects.filter(booking=series).exclude(change={}).exists()


@pytest.mark.django_db
def test_only_the_series_people_change_it(series, requester, other_requester, outsider):
    change = SeriesChange(from_date=FROM, start_time=time(19), end_time=time(21))

    for actor in (other_requester, outsider):
        with pytest.raises(PermissionDenied):
            booking_series_reschedule(booking=series, change=change, actor=actor)
    with pytest.raises(ValidationError) as past:
        booking_series_reschedule(
            booking=series, change=SeriesChange(from_date=date(2027, 1, 1)), actor=requester
        )

    assert set(past.value.message_dict) == {"from_date"}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: row locks (select_for_update)"
)
@pytest.mark.django_db(transaction=True)
def test_a_series_change_and_a_request_racing_for_one_date_one_wins(series, space, requester):
    """The series moves four dates to 19:00 while another structure requests 19:00 on the last
    of them: exactly one wins; the series is then wholly moved or wholly as it was."""
    other = requesters(1)[0]
    target = paris(2027, 4, 6, 19)
    before = _slots(series)

    def change() -> str:
        booking_series_reschedule(
            booking=series,
            change=SeriesChange(from_date=FROM, start_time=time(19), end_time=time(21)),
            actor=requester,
        )
        return "moved"

    def request() -> str:
        booking_request_for(
            space=space, requested_by=other, start=target, end=target + timedelta(hours=1)
        )
        return "booked"

    outcomes = race([change, request])

    assert outcomes["BookingConflict"] == 1
    assert outcomes["moved"] + outcomes["booked"] == 1
    assert Occupancy.objects.filter(space=space, active=True, start=target).count() == 1
    late = [(space.pk, day, time(19), time(21)) for day in _tuesdays(FROM, 4)]
    assert _slots(series) == (before[:2] + late if outcomes["moved"] else before)


# --- The page and the API ---------------------------------------------------------------


def _page(booking: Booking) -> str:
    return reverse("bookings:booking-change", args=[booking.pk])


@pytest.mark.django_db
def test_the_change_page_of_a_series_moves_it_from_a_date(
    client, site, other_site, series, requester, django_assert_max_num_queries
):
    SpaceFactory(site=other_site, name="Salle Jaurès")
    client.force_login(requester)
    with django_assert_max_num_queries(14):
        form = client.get(_page(series))

    response = client.post(
        _page(series),
        {
            "from_date": "2027-03-16",
            "start_time": "19:00",
            "end_time": "21:00",
            "space": series.space_id,
            "until": "2027-04-06",
            "attendees": series.attendees,
            "purpose": series.purpose,
        },
        follow=True,
    )

    text = form.content.decode()
    assert 'for="id_from_date"' in text
    assert 'for="id_until"' in text
    assert f'<optgroup label="{other_site.name}">' in text
    assert "Salle Jaurès" in text
    assert response.status_code == 200
    assert _slots(series)[-1][2] == time(19)


@pytest.mark.django_db
def test_the_change_page_of_a_series_says_what_is_wrong_in_french(client, series, requester):
    client.force_login(requester)

    response = client.post(
        _page(series),
        {
            "from_date": "2027-03-16",
            "start_time": "19:00",
            "end_time": "21:00",
            "space": series.space_id,
            "until": "2027-03-09",
            "attendees": series.attendees,
            "purpose": series.purpose,
        },
    )

    text = response.content.decode()
    assert response.status_code == 400
    assert 'aria-describedby="id_until_helptext id_until_errors"' in text
    assert "La fin de la série est avant la première date à modifier." in text


@pytest.mark.django_db
def test_the_api_changes_a_series_from_a_date(client, series, requester, other_requester):
    url = reverse("api:booking-reschedule", args=[series.pk])
    body = {"from_date": "2027-03-16", "start_time": "19:00", "end_time": "21:00"}
    client.force_login(other_requester)
    hidden = client.post(url, body, content_type="application/json")
    client.force_login(requester)
    refused = client.post(
        url, {**body, "start": "2027-03-16T19:00:00+01:00"}, content_type="application/json"
    )

    response = client.post(url, {**body, "until": "2027-03-30"}, content_type="application/json")

    assert (hidden.status_code, refused.status_code, response.status_code) == (404, 400, 200)
    assert response.json()["repeat_until"] == "2027-03-30"
    assert _slots(series)[-1][1:] == (date(2027, 3, 30), time(19), time(21))


@pytest.mark.django_db
def test_the_calendar_feed_lists_the_dates_of_a_series_changed_from_a_date(
    settings, series, requester
):
    settings.SITE_URL = "https://locaux.example.fr"
    booking_series_reschedule(
        booking=series,
        change=SeriesChange(from_date=FROM, start_time=time(19), end_time=time(21)),
        actor=requester,
    )
    feed = calendar_feed_create(user=requester, scope="organisation", target=series.organisation)

    (event,) = Calendar.from_ical(ics.feed_ical(feed=feed)).walk("VEVENT")

    rdates = event["RDATE"] if isinstance(event["RDATE"], list) else [event["RDATE"]]
    periods = [event["DTSTART"].dt] + [value.dt for rdate in rdates for value in rdate.dts]
    assert "RRULE" not in event
    assert [moment.astimezone(PARIS).time() for moment in periods] == [time(18)] * 2 + [
        time(19)
    ] * 4


def _feed_dates(feed) -> dict[str, tuple[str, str, list[date]]]:
    """Each event of the feed: UID → (SUMMARY, LOCATION, the local day of each of its dates)."""
    events = {}
    for event in Calendar.from_ical(ics.feed_ical(feed=feed)).walk("VEVENT"):
        rdates = event.get("RDATE", [])
        starts = [event["DTSTART"].dt] + [
            value.dt
            for rdate in (rdates if isinstance(rdates, list) else [rdates])
            for value in rdate.dts
        ]
        uid = str(event["UID"]).removesuffix("@locaux.example.fr")
        days = [moment.astimezone(PARIS).date() for moment in starts]
        events[uid] = (str(event["SUMMARY"]), str(event["LOCATION"]).split(",")[0], days)
    return events


@pytest.mark.django_db
def test_after_a_move_to_another_room_each_rooms_feed_and_week_hold_the_dates_held_there(
    client, settings, other_site, series, space, requester, facilities_manager, territory_admin
):
    """Moved from 16 March to a room of another building: the old room keeps 2 and 9 March."""
    settings.SITE_URL = "https://locaux.example.fr"
    jaures = SpaceFactory(site=other_site, name="Salle Jaurès")
    booking_series_reschedule(
        booking=series, change=SeriesChange(from_date=FROM, space=jaures.pk), actor=requester
    )
    early, late = _tuesdays(date(2027, 3, 2), 2), _tuesdays(FROM, 4)
    here, moved = f"booking-{series.pk}-space-{space.pk}", f"booking-{series.pk}"
    # The manager of the old room's building sees who booked it there, though the booking's
    # room is now in a building they do not manage.
    in_usinor = ("Salle Usinor — Réunion du bureau", "Salle Usinor", early)
    in_jaures = ("Salle Jaurès — Réunion du bureau", "Salle Jaurès", late)

    feeds = {
        name: _feed_dates(calendar_feed_create(user=user, scope=scope, target=target))
        for name, user, scope, target in [
            ("old room", facilities_manager, "space", space),
            ("old building", facilities_manager, "site", space.site),
            ("new room", territory_admin, "space", jaures),
            ("new building", territory_admin, "site", other_site),
            ("structure", requester, "organisation", series.organisation),
        ]
    }
    client.force_login(facilities_manager)
    weeks = [
        [
            slot["booking_id"]
            for day in client.get(
                reverse("bookings:space-week", args=[room.pk]), {"semaine": str(monday)}
            ).context["days"]
            for slot in day["busy"]
        ]
        for room, monday in [(space, date(2027, 3, 1)), (space, FROM), (jaures, FROM)]
    ]

    assert feeds["old room"] == feeds["old building"] == {here: in_usinor}
    assert feeds["new room"] == feeds["new building"] == {moved: in_jaures}
    assert feeds["structure"] == {moved: in_jaures, here: in_usinor}
    # The week pages read the Occupancy rows: 2 March in the old room, 16 March in the new one
    # (its booking is not linked for a manager of another building).
    assert weeks == [[series.pk], [], [None]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"from_date": "9999-12-31", "until": "9999-12-31"},
        {"start_time": "\x00", "space": str(10**20)},
        {"until": "2027-03-09\x07", "end_time": "18:00"},
    ],
)
def test_the_series_page_answers_hostile_input_with_a_french_400(client, series, requester, values):
    client.force_login(requester)
    before = _slots(series)
    body = {"from_date": "2027-03-16", "start_time": "19:00", "end_time": "21:00"}

    details = {"attendees": series.attendees, "purpose": series.purpose}
    response = client.post(_page(series), {**body, "space": series.space_id, **details, **values})
    api = client.post(
        reverse("api:booking-reschedule", args=[series.pk]),
        {**body, **values},
        content_type="application/json",
    )

    assert (response.status_code, api.status_code) == (400, 400)
    assert "error-summary" in response.content.decode()
    assert _slots(series) == before


@pytest.mark.django_db
def test_a_series_attendees_and_purpose_change_for_the_whole_booking(
    client, series, space, requester, other_requester
):
    url = reverse("api:booking-reschedule", args=[series.pk])
    before = _slots(series)
    client.force_login(other_requester)
    hidden = client.post(url, {"attendees": 2}, content_type="application/json")
    client.force_login(requester)
    too_many = client.post(url, {"attendees": space.capacity + 1}, content_type="application/json")

    api = client.post(url, {"attendees": 3, "purpose": "Chorale"}, content_type="application/json")
    page = client.post(
        _page(series),
        {
            "from_date": "2027-03-16",
            "start_time": "18:00",
            "end_time": "20:00",
            "space": series.space_id,
            "until": "2027-04-06",
            "attendees": 4,
            "purpose": "Chorale",
        },
    )

    assert (hidden.status_code, too_many.status_code, api.status_code) == (404, 400, 200)
    assert too_many.json()["attendees"] == [
        f"Cet espace peut accueillir au maximum {space.capacity} personnes."
    ]
    assert page.status_code == 302
    series.refresh_from_db()
    assert (series.attendees, series.purpose) == (4, "Chorale")
    assert _slots(series) == before
    changes = [(log.change or {}).get("after") for log in BookingLog.objects.filter(booking=series)]
    assert {"attendees": 3, "purpose": "Chorale"} in changes
    assert {"attendees": 4} in changes
