"""Calendars of a space and of a site, and their JSON feed (read from Occupancy)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from bookings import selectors, services
from bookings.rules import Period
from bookings.services import BookingRequest, booking_request
from tests.factories import MembershipFactory, SpaceFactory, StructureFactory, UserFactory
from tests.helpers import FROZEN_NOW

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW  # a Monday
WEEK = {"start": "2027-01-11T00:00:00", "end": "2027-01-18T00:00:00"}  # as FullCalendar sends it
FEED = reverse("bookings:calendar-events")


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Titles in English (the source strings), whatever the catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _verified_member(territory_admin, email: str, name: str):
    structure = StructureFactory(name=name, verified_at=timezone.now(), verified_by=territory_admin)
    return MembershipFactory(organisation=structure, user=UserFactory(email=email)).user


@pytest.fixture
def requester(territory_admin):
    return _verified_member(territory_admin, "asso@example.test", "Vélo Solidaire")


@pytest.fixture
def other_requester(territory_admin):
    return _verified_member(territory_admin, "autre@example.test", "Jardins Partagés")


def _book(user, space, day: int, *, hour: int = 18, purpose: str = "Atelier réparation", **extra):
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=user.memberships.get().organisation,
            purpose=purpose,
            attendees=8,
            first=Period(
                datetime(2027, 1, day, hour, tzinfo=PARIS),
                datetime(2027, 1, day, hour + 2, tzinfo=PARIS),
            ),
            **extra,
        ),
        requested_by=user,
    )


def _feed(client, **params):
    return client.get(FEED, {**WEEK, **params})


@pytest.mark.django_db
def test_calendar_events_show_a_pending_booking_with_its_status_who_and_link(
    client, facilities_manager, requester, space
):
    booking = _book(requester, space, 12)
    client.force_login(facilities_manager)

    response = _feed(client, space=space.pk)

    assert response.status_code == 200
    assert response.json() == [
        {
            "title": "Awaiting approval: Vélo Solidaire — Atelier réparation",
            "start": "2027-01-12T18:00:00+01:00",
            "end": "2027-01-12T20:00:00+01:00",
            "allDay": False,
            "classNames": ["cal-pending"],
            "extendedProps": {"kind": "booking", "status": "pending", "space": space.name},
            "url": reverse("bookings:booking-detail", args=[booking.pk]),
        }
    ]


@pytest.mark.django_db
def test_calendar_events_colour_confirmed_bookings_and_closures_apart(
    client, facilities_manager, requester, space, site
):
    booking = _book(requester, space, 12)
    services.booking_approve(booking=booking, actor=facilities_manager)
    services.closure_create(
        actor=facilities_manager,
        space=space,
        period=Period(datetime(2027, 1, 14, tzinfo=PARIS), datetime(2027, 1, 15, tzinfo=PARIS)),
        reason="Peinture",
    )
    client.force_login(facilities_manager)

    events = _feed(client, space=space.pk).json()

    assert [(event["title"], event["classNames"]) for event in events] == [
        ("Confirmed: Vélo Solidaire — Atelier réparation", ["cal-confirmed"]),
        ("Closed: Peinture", ["cal-closure"]),
    ]
    assert "url" not in events[1]


@pytest.mark.django_db
def test_calendar_events_list_each_date_of_a_series_from_occupancy(
    client, commune_staff, requester, space
):
    _book(requester, space, 12, frequency="weekly", repeat_count=3)
    client.force_login(commune_staff)

    events = client.get(
        FEED, {"space": space.pk, "start": "2027-01-01", "end": "2027-02-01"}
    ).json()

    assert [event["start"] for event in events] == [
        "2027-01-12T18:00:00+01:00",
        "2027-01-19T18:00:00+01:00",
        "2027-01-26T18:00:00+01:00",
    ]


@pytest.mark.django_db
def test_calendar_events_of_a_site_name_the_space_and_show_a_site_closure_once(
    client, facilities_manager, requester, space, site
):
    SpaceFactory(site=site, name="Bureau 2")
    _book(requester, space, 12)
    services.closure_create(
        actor=facilities_manager,
        site=site,
        period=Period(datetime(2027, 1, 14, tzinfo=PARIS), datetime(2027, 1, 15, tzinfo=PARIS)),
        reason="Inventaire",
    )
    client.force_login(facilities_manager)

    events = _feed(client, site=site.pk).json()

    assert [event["title"] for event in events] == [
        "Salle Usinor — Awaiting approval: Vélo Solidaire — Atelier réparation",
        "whole site — Closed: Inventaire",
    ]


@pytest.mark.django_db
def test_calendar_events_accept_times_with_an_offset(client, facilities_manager, requester, space):
    _book(requester, space, 12)
    client.force_login(facilities_manager)

    response = client.get(
        FEED,
        {"space": space.pk, "start": "2027-01-12T19:30:00+01:00", "end": "2027-01-12T21:00Z"},
    )

    assert len(response.json()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider", "member", "other_commune_staff"])
def test_calendar_events_is_404_for_whoever_does_not_manage_the_space(
    client, request, persona, space, site
):
    client.force_login(request.getfixturevalue(persona))

    assert _feed(client, space=space.pk).status_code == 404
    assert _feed(client, site=site.pk).status_code == 404


@pytest.mark.django_db
def test_calendar_events_sends_anonymous_visitors_to_the_login_page(client, space):
    response = _feed(client, space=space.pk)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"start": "2027-01-11"},
        {"start": "2027-01-11", "end": "demain"},
        {"start": "2027-13-45", "end": "2027-01-18"},
        {"start": "2027-01-18", "end": "2027-01-11"},
        {"start": "2027-01-01", "end": "2027-03-05"},  # 63 days
        {"start": "2027-03-28T02:30:00", "end": "2027-03-29"},  # not a time in Paris
    ],
)
def test_calendar_events_refuses_a_bad_window_with_400(client, facilities_manager, space, params):
    client.force_login(facilities_manager)

    response = client.get(FEED, {"space": space.pk, **params})

    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", [{}, {"space": "1", "site": "1"}, {"space": "abc"}, {"site": "-1"}]
)
def test_calendar_events_needs_exactly_one_space_or_site(client, facilities_manager, target):
    client.force_login(facilities_manager)

    assert client.get(FEED, {**WEEK, **target}).status_code == 400


@pytest.mark.django_db
def test_calendar_events_allow_a_62_day_window(client, facilities_manager, space):
    client.force_login(facilities_manager)

    response = client.get(FEED, {"space": space.pk, "start": "2027-01-01", "end": "2027-03-04"})

    assert response.status_code == 200


@pytest.mark.django_db
def test_calendar_events_query_count_does_not_grow_with_the_rows(
    client, facilities_manager, requester, other_requester, space, site
):
    client.force_login(facilities_manager)
    _book(requester, space, 11)
    with CaptureQueriesContext(connection) as one:
        assert len(_feed(client, site=site.pk).json()) == 1
    other_space = SpaceFactory(site=site)
    for day in (12, 13, 14):
        _book(other_requester, other_space, day, purpose="Permanence")
    _book(requester, space, 12, frequency="weekly", repeat_count=2)

    with CaptureQueriesContext(connection) as many:
        assert len(_feed(client, site=site.pk).json()) == 5

    assert len(many) == len(one)


@pytest.mark.django_db
def test_calendar_entries_show_who_booked_only_to_managers_and_the_booking_organisation(
    requester, other_requester, facilities_manager, space
):
    booking = _book(requester, space, 12)
    window = {
        "spaces": type(space).objects.filter(pk=space.pk),
        "start": datetime(2027, 1, 11, tzinfo=PARIS),
        "end": datetime(2027, 1, 18, tzinfo=PARIS),
    }

    with translation.override("en"):
        seen = {
            user.email: selectors.calendar_entries(user=user, **window)[0]
            for user in (facilities_manager, requester, other_requester)
        }

    assert seen["manager@example.test"].booking_id == booking.pk
    assert seen["asso@example.test"].booking_id == booking.pk
    hidden = seen["autre@example.test"]
    assert (hidden.booking_id, str(hidden.title)) == (None, "Awaiting approval")


@pytest.mark.django_db
def test_calendar_entries_hide_who_booked_from_anonymous_visitors(requester, space):
    _book(requester, space, 12)

    (entry,) = selectors.calendar_entries(
        user=AnonymousUser(),
        spaces=type(space).objects.filter(pk=space.pk),
        start=datetime(2027, 1, 11, tzinfo=PARIS),
        end=datetime(2027, 1, 18, tzinfo=PARIS),
    )

    assert "Vélo Solidaire" not in entry.title
    assert entry.booking_id is None


# --- The pages ---


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["facilities_manager", "commune_staff", "territory_admin"])
def test_space_calendar_renders_for_the_site_managers(client, request, persona, space):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("bookings:calendar-space", args=[space.pk]))

    assert response.status_code == 200
    assert response.context["events_url"] == f"{FEED}?space={space.pk}"
    assert b'id="calendar"' in response.content
    assert b"vendor/fullcalendar/index.global.min.js" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider", "member", "other_commune_staff"])
def test_calendar_pages_are_404_for_whoever_does_not_manage_the_site(
    client, request, persona, space, site
):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("bookings:calendar-space", args=[space.pk])).status_code == 404
    assert client.get(reverse("bookings:calendar-site", args=[site.pk])).status_code == 404


@pytest.mark.django_db
def test_space_calendar_lists_the_next_14_days_below_the_calendar(
    client, facilities_manager, requester, space
):
    _book(requester, space, 12, purpose="Atelier du mardi")
    _book(requester, space, 19, purpose="Trop tard pour la liste")
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:calendar-space", args=[space.pk]))

    content = response.content.decode()
    assert "Tuesday 12 January 2027, 18:00–20:00" in content
    assert "Awaiting approval: Vélo Solidaire — Atelier du mardi" in content
    assert "Trop tard pour la liste" not in content


@pytest.mark.django_db
def test_site_calendar_shows_every_space_or_the_one_chosen(client, facilities_manager, site, space):
    client.force_login(facilities_manager)
    url = reverse("bookings:calendar-site", args=[site.pk])

    whole = client.get(url)
    one = client.get(url, {"espace": space.pk})

    assert whole.context["events_url"] == f"{FEED}?site={site.pk}"
    assert one.context["events_url"] == f"{FEED}?space={space.pk}"
    assert one.context["chosen"] == space
