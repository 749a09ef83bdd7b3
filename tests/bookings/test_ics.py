"""ICS feeds: what calendar applications receive, parsed back with icalendar.

Site and space feeds are for the people who manage them, organisation feeds for the
organisation's members: both see who booked. The clock is frozen on Monday 4 January 2027, so
the series below cross the clock change of 28 March 2027 in the future.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.rrule import rrulestr
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from bookings import ics
from bookings.models import Booking, CalendarFeed, Occupancy
from bookings.rules import Period
from bookings.services import (
    BookingRequest,
    SeriesChange,
    booking_approve,
    booking_cancel,
    booking_refuse,
    booking_request,
    booking_series_reschedule,
    calendar_feed_create,
    closure_create,
)
from tests.factories import MembershipFactory, SpaceFactory, StructureFactory, UserFactory
from tests.helpers import FROZEN_NOW

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://locaux.example.fr"


def _verified_member(territory_admin, name: str, email: str):
    structure = StructureFactory(name=name, verified_at=timezone.now(), verified_by=territory_admin)
    return MembershipFactory(organisation=structure, user=UserFactory(email=email)).user


@pytest.fixture
def asso_member(territory_admin):
    return _verified_member(territory_admin, "Mobilité Solidaire", "asso@example.test")


@pytest.fixture
def other_member(territory_admin):
    return _verified_member(territory_admin, "Les Jardins Partagés", "jardins@example.test")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _book(member, space, day: date, start: int, end: int, purpose="Atelier", **series) -> Booking:
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=member.memberships.get().organisation,
            purpose=purpose,
            attendees=8,
            first=Period(_at(day, start), _at(day, end)),
            **series,
        ),
        requested_by=member,
    )


def _weekly_across_march(member, space) -> Booking:
    """Tuesdays 18:00–20:00 from 5 January to 27 April 2027 (the clocks change on 28 March)."""
    return _book(
        member,
        space,
        date(2027, 1, 5),
        18,
        20,
        purpose="Répétition de la chorale",
        frequency="weekly",
        repeat_until=date(2027, 4, 27),
    )


def _feed(user, scope: str, target) -> CalendarFeed:
    return calendar_feed_create(user=user, scope=scope, target=target)


def _parse(feed: CalendarFeed, now: datetime | None = None) -> Calendar:
    return Calendar.from_ical(ics.feed_ical(feed=feed, now=now))


def _events(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def _by_uid(calendar: Calendar) -> dict:
    return {str(event["UID"]): event for event in _events(calendar)}


def _local(value) -> datetime:
    return value.dt.astimezone(PARIS) if isinstance(value.dt, datetime) else value.dt


# --- The calendar and its time zone -------------------------------------------------------


@pytest.mark.django_db
def test_feed_names_itself_and_carries_a_vtimezone_for_europe_paris(
    facilities_manager, site, space, asso_member
):
    _weekly_across_march(asso_member, space)

    calendar = _parse(_feed(facilities_manager, "site", site))

    timezones = list(calendar.walk("VTIMEZONE"))
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Paris"]
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == ics.PRODID
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Paris"
    assert str(calendar["X-WR-CALNAME"]) == "Locaux Communs — Les Grands Bureaux"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"


@pytest.mark.django_db
def test_vtimezone_covers_both_clock_changes_of_2027(facilities_manager, site, space, asso_member):
    _weekly_across_march(asso_member, space)

    calendar = _parse(_feed(facilities_manager, "site", site))

    timezone_component = next(iter(calendar.walk("VTIMEZONE")))
    onsets = {
        (sub.name, sub["DTSTART"].dt.date())
        for sub in timezone_component.subcomponents
        if sub["TZOFFSETFROM"].td != sub["TZOFFSETTO"].td
    }
    assert ("DAYLIGHT", date(2027, 3, 28)) in onsets
    assert ("STANDARD", date(2027, 10, 31)) in onsets


@pytest.mark.django_db
def test_empty_feed_still_has_its_vtimezone(facilities_manager, site):
    calendar = _parse(_feed(facilities_manager, "site", site))

    assert _events(calendar) == []
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


# --- Series: RRULE and EXDATE --------------------------------------------------------------


@pytest.mark.django_db
def test_weekly_series_across_the_march_change_is_one_event_with_a_weekly_rrule(
    facilities_manager, site, space, asso_member
):
    _weekly_across_march(asso_member, space)

    (event,) = _events(_parse(_feed(facilities_manager, "site", site)))

    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTSTART"].to_ical() == b"20270105T180000"  # local wall-clock time
    assert event["DTEND"].to_ical() == b"20270105T200000"
    assert event["DTSTART"].dt == _at(date(2027, 1, 5), 18)


@pytest.mark.django_db
def test_cancelled_date_of_a_series_is_an_exdate_in_local_time(
    facilities_manager, site, space, asso_member
):
    booking = _weekly_across_march(asso_member, space)
    booking_cancel(
        booking=booking,
        actor=asso_member,
        reason="Salle prise pour le conseil municipal",
        occurrence_start=_at(date(2027, 3, 30), 18),
    )

    (event,) = _events(_parse(_feed(facilities_manager, "site", site)))

    exdates = [value.dt for exdate in _as_list(event["EXDATE"]) for value in exdate.dts]
    assert exdates == [_at(date(2027, 3, 30), 18)]
    assert _as_list(event["EXDATE"])[0].params["TZID"] == "Europe/Paris"
    assert str(event["STATUS"]) == "TENTATIVE"  # the rest of the series still stands


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _expand(event) -> list[datetime]:
    """Expand the event's RRULE like a calendar application: in its own (local) time zone."""
    start = event["DTSTART"].dt
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    excluded = {value.dt for exdate in _as_list(event.get("EXDATE", [])) for value in exdate.dts}
    return [moment for moment in rule if moment not in excluded]


@pytest.mark.django_db
def test_rrule_expanded_in_local_time_stays_at_18_00_after_the_clock_change(
    facilities_manager, site, space, asso_member
):
    booking = _weekly_across_march(asso_member, space)
    booking_cancel(
        booking=booking,
        actor=asso_member,
        reason="Vacances",
        occurrence_start=_at(date(2027, 3, 30), 18),
    )

    (event,) = _events(_parse(_feed(facilities_manager, "site", site)))
    moments = _expand(event)

    assert {moment.astimezone(PARIS).time() for moment in moments} == {time(18, 0)}
    assert moments[-1].astimezone(PARIS) == _at(date(2027, 4, 27), 18)
    assert sum(moment.date() > date(2027, 3, 28) for moment in moments) == 4  # 6, 13, 20, 27 April
    active = booking.occupancies.filter(active=True).order_by("start")
    assert moments == [row.start for row in active]


@pytest.mark.parametrize(
    ("first", "hours", "series"),
    [
        pytest.param(date(2027, 1, 6), (18, 20), {"frequency": "biweekly", "repeat_count": 10}),
        pytest.param(date(2027, 1, 31), (9, 11), {"frequency": "monthly_date", "repeat_count": 6}),
        pytest.param(
            date(2027, 1, 29), (14, 16), {"frequency": "monthly_weekday", "repeat_count": 6}
        ),
        # A 00:00 slot whose next date falls exactly on the series' end bound (the midnight
        # after "until"): neither the Occupancy rows nor the RRULE may hold that date.
        pytest.param(
            date(2027, 1, 11),
            (0, 2),
            {"frequency": "weekly", "repeat_until": date(2027, 2, 7)},
            id="weekly-midnight-until",
        ),
    ],
)
@pytest.mark.django_db
def test_rrule_gives_exactly_the_dates_of_the_occupancy_rows(
    facilities_manager, site, space, asso_member, first, hours, series
):
    booking = _book(asso_member, space, first, *hours, **series)

    (event,) = _events(_parse(_feed(facilities_manager, "site", site)))

    rows = list(Occupancy.objects.filter(booking=booking).order_by("start"))
    assert _expand(event) == [row.start for row in rows]


# --- Statuses ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_statuses_are_tentative_confirmed_and_cancelled(
    facilities_manager, site, space, asso_member
):
    pending = _book(asso_member, space, date(2027, 1, 12), 10, 12, purpose="En attente")
    approved = _book(asso_member, space, date(2027, 1, 13), 10, 12, purpose="Acceptée")
    refused = _book(asso_member, space, date(2027, 1, 14), 10, 12, purpose="Refusée")
    cancelled = _book(asso_member, space, date(2027, 1, 15), 10, 12, purpose="Annulée")
    booking_approve(booking=approved, actor=facilities_manager)
    booking_refuse(booking=refused, actor=facilities_manager, reason="Salle en travaux")
    booking_cancel(booking=cancelled, actor=asso_member, reason="Report")

    events = _by_uid(_parse(_feed(facilities_manager, "site", site)))

    status = {uid: str(event["STATUS"]) for uid, event in events.items()}
    assert status == {
        f"booking-{pending.pk}@locaux.example.fr": "TENTATIVE",
        f"booking-{approved.pk}@locaux.example.fr": "CONFIRMED",
        f"booking-{refused.pk}@locaux.example.fr": "CANCELLED",
        f"booking-{cancelled.pk}@locaux.example.fr": "CANCELLED",
    }


@pytest.mark.django_db
def test_cancelled_booking_leaves_the_feed_30_days_after_its_cancellation(
    facilities_manager, site, space, asso_member
):
    booking = _book(asso_member, space, date(2027, 3, 2), 10, 12)
    booking_cancel(booking=booking, actor=asso_member, reason="Report")
    feed = _feed(facilities_manager, "site", site)

    soon = _by_uid(_parse(feed, now=NOW + timedelta(days=29)))
    later = _by_uid(_parse(feed, now=NOW + timedelta(days=31)))

    assert [str(event["STATUS"]) for event in soon.values()] == ["CANCELLED"]
    assert later == {}


@pytest.mark.django_db
def test_feed_holds_30_days_back_and_12_months_ahead(facilities_manager, site, space, asso_member):
    january = _book(asso_member, space, date(2027, 1, 12), 10, 12, purpose="Janvier")
    march = _book(asso_member, space, date(2027, 3, 9), 10, 12, purpose="Mars")
    feed = _feed(facilities_manager, "site", site)

    in_april = _by_uid(_parse(feed, now=_at(date(2027, 4, 1), 9)))
    a_year_before = _by_uid(_parse(feed, now=_at(date(2026, 3, 1), 9)))

    assert list(in_april) == [f"booking-{march.pk}@locaux.example.fr"]
    assert list(a_year_before) == [f"booking-{january.pk}@locaux.example.fr"]


# --- Identity and names --------------------------------------------------------------------


@pytest.mark.django_db
def test_uids_and_content_are_stable_across_two_fetches(
    facilities_manager, site, space, asso_member
):
    booking = _weekly_across_march(asso_member, space)
    feed = _feed(facilities_manager, "site", site)

    first = ics.feed_ical(feed=feed)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        second = ics.feed_ical(feed=feed)

    assert list(_by_uid(Calendar.from_ical(first))) == [f"booking-{booking.pk}@locaux.example.fr"]
    assert second == first


@pytest.mark.django_db
def test_site_feed_shows_every_organisation_to_the_site_manager(
    facilities_manager, site, space, asso_member, other_member
):
    _book(asso_member, space, date(2027, 1, 12), 10, 12, purpose="Permanence mobilité")
    _book(other_member, space, date(2027, 1, 13), 10, 12, purpose="Troc de graines")

    events = _events(_parse(_feed(facilities_manager, "site", site)))

    summaries = sorted(str(event["SUMMARY"]) for event in events)
    descriptions = " ".join(str(event["DESCRIPTION"]) for event in events)
    assert summaries == ["Salle Usinor — Permanence mobilité", "Salle Usinor — Troc de graines"]
    assert "Mobilité Solidaire" in descriptions
    assert "Les Jardins Partagés" in descriptions


@pytest.mark.django_db
def test_organisation_feed_holds_only_that_organisations_bookings(space, asso_member, other_member):
    own = _book(asso_member, space, date(2027, 1, 12), 10, 12, purpose="Permanence mobilité")
    other_space = SpaceFactory(site=space.site, name="Salle Zola")
    _book(other_member, other_space, date(2027, 1, 12), 10, 12, purpose="Troc de graines")
    organisation = asso_member.memberships.get().organisation

    body = ics.feed_ical(feed=_feed(asso_member, "organisation", organisation)).decode()

    assert list(_by_uid(Calendar.from_ical(body))) == [f"booking-{own.pk}@locaux.example.fr"]
    assert "Troc de graines" not in body
    assert "Jardins" not in body


@pytest.mark.django_db
def test_feed_says_busy_where_its_creator_may_not_see_who_booked(
    space, site, asso_member, other_member
):
    _book(other_member, space, date(2027, 1, 12), 10, 12, purpose="Troc de graines")
    # No service creates such a feed (and its URL answers 404): this checks the builder's
    # own guard, which hides names from a creator who neither manages nor belongs.
    feed = CalendarFeed.objects.create(
        scope="site", site=site, created_by=asso_member, token="guard-test"
    )

    body = ics.feed_ical(feed=feed).decode()
    (event,) = _events(Calendar.from_ical(body))

    assert str(event["SUMMARY"]) == "Salle Usinor — Occupé"
    assert "DESCRIPTION" not in event
    assert "Troc de graines" not in body
    assert "Jardins" not in body


# --- Closures ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_closures_are_events_all_day_when_they_cover_whole_days(facilities_manager, site, space):
    holiday = closure_create(
        actor=facilities_manager,
        site=site,
        period=Period(_at(date(2027, 5, 1), 0), _at(date(2027, 5, 2), 0)),
        reason="Fête du Travail",
    )
    works = closure_create(
        actor=facilities_manager,
        space=space,
        period=Period(_at(date(2027, 2, 3), 8), _at(date(2027, 2, 3), 12)),
        reason="Peinture",
    )

    events = _by_uid(_parse(_feed(facilities_manager, "site", site)))

    whole_day = events[f"closure-{holiday.pk}@locaux.example.fr"]
    morning = events[f"closure-{works.pk}@locaux.example.fr"]
    assert (whole_day["DTSTART"].dt, whole_day["DTEND"].dt) == (date(2027, 5, 1), date(2027, 5, 2))
    assert str(whole_day["SUMMARY"]) == "Fermé : Fête du Travail"
    assert _local(morning["DTSTART"]) == _at(date(2027, 2, 3), 8)
    assert morning["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(morning["SUMMARY"]) == "Salle Usinor — Fermé : Peinture"


# --- Cost ----------------------------------------------------------------------------------


def _queries_for(feed: CalendarFeed) -> int:
    with CaptureQueriesContext(connection) as captured:
        ics.feed_ical(feed=feed)
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_feed_query_count_does_not_grow_with_bookings(
    facilities_manager, site, space, asso_member, other_member
):
    _book(asso_member, space, date(2027, 1, 12), 10, 12)
    # A series from the start: its cancelled dates are one query, which a feed of single
    # bookings (no django-scheduler Event) does not need.
    _weekly_across_march(asso_member, SpaceFactory(site=site))
    feed = CalendarFeed.objects.select_related("site", "created_by").get(
        pk=_feed(facilities_manager, "site", site).pk
    )
    one = _queries_for(feed)
    for member, day in [(asso_member, 13), (other_member, 14), (other_member, 15)]:
        _book(member, space, date(2027, 1, day), 10, 12)
    series = _weekly_across_march(other_member, SpaceFactory(site=site))
    booking_cancel(
        booking=series,
        actor=other_member,
        reason="Vacances",
        occurrence_start=_at(date(2027, 2, 16), 18),
    )
    # Moved to another room from a date: one event per room, each in its room's name.
    booking_series_reschedule(
        booking=series,
        change=SeriesChange(from_date=date(2027, 3, 2), space=SpaceFactory(site=site).pk),
        actor=other_member,
    )
    closure_create(
        actor=facilities_manager,
        site=site,
        period=Period(_at(date(2027, 5, 1), 0), _at(date(2027, 5, 2), 0)),
        reason="Fête du Travail",
    )

    many = _queries_for(feed)

    assert len(_events(_parse(feed))) == 8
    assert many == one
