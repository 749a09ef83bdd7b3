"""Every kind of ICS feed the project serves, fetched from its secret URL and imported by a real
calendar application: Debian's khal (`apt-get install khal`; .ci/run installs it).

khal refuses a whole file for one event that ends before it starts, and lists each event at
the instant it reads, so these tests check what people see: every date of every booking and
closure at its right time, including the hour repeated when the clocks go back (31 October
2027, 02:00-03:00 happens twice) and a weekly series across both clock changes of 2027.
"""

import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import ics
from bookings.models import Booking, CalendarFeed, Closure, Occupancy
from bookings.rules import Period
from bookings.services import (
    BookingRequest,
    SeriesChange,
    booking_cancel,
    booking_request,
    booking_series_reschedule,
    calendar_feed_create,
    closure_create,
)
from tests.factories import MembershipFactory, SpaceFactory, StructureFactory, UserFactory
from tests.helpers import FROZEN_NOW

KHAL = shutil.which("khal")
pytestmark = [
    pytest.mark.skipif(
        KHAL is None, reason="khal is not installed (Debian: apt-get install khal; .ci/run does)"
    ),
    pytest.mark.django_db,
    pytest.mark.usefixtures("frozen_clock"),
]

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW
SHOWN = "%Y-%m-%dT%H:%M%z"  # how khal prints a time here: with its UTC offset, never ambiguous
KHAL_CONFIG = """\
[calendars]
[[feed]]
path = {root}/calendar
type = calendar

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = {shown}
longdatetimeformat = {shown}
local_timezone = Europe/Paris
default_timezone = Europe/Paris

[default]
default_calendar = feed

[sqlite]
path = {root}/khal.db
"""


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://locaux.example.fr"


def _paris(day: date, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    """A local time; fold=1 is the second of two equal wall-clock times (winter time)."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).replace(fold=fold)


def _khal(root: Path, body: bytes) -> list[str]:
    """Import the feed into an empty khal calendar, then list every event of the feed's year."""
    root.mkdir()
    (root / "calendar").mkdir()
    config = root / "khal.conf"
    config.write_text(KHAL_CONFIG.format(root=root, shown=SHOWN))
    feed = root / "feed.ics"
    feed.write_bytes(body)
    command = [KHAL, "-c", str(config), "--no-color"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8", "TZ": "UTC"}
    imported = subprocess.run(  # noqa: S603 (khal, our own file)
        [*command, "import", "--batch", "-a", "feed", str(feed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "error" not in (imported.stdout + imported.stderr).lower(), imported.stderr
    listed = subprocess.run(  # noqa: S603
        [
            *command,
            "list",
            "--format",
            "{uid} {start} {end}",
            "--day-format",
            "",
            "2026-11-01",
            "2028-02-01",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return sorted(line for line in listed.stdout.splitlines() if line.strip())


def _shown(value: datetime) -> str:
    return value.astimezone(PARIS).strftime(SHOWN)


def _expected(bookings: list[Booking], closures: list[Closure], **rooms) -> list[str]:
    """What the feed must show: each active date of each booking (in the rooms `rooms` filters
    Occupancy by, if given), each closure. Dates held outside the booking's room are the event
    of that room."""
    lines = []
    for row in Occupancy.objects.filter(booking__in=bookings, active=True, **rooms).select_related(
        "booking"
    ):
        uid = f"booking-{row.booking_id}"
        if row.space_id != row.booking.space_id:
            uid += f"-space-{row.space_id}"
        lines.append(f"{uid}@locaux.example.fr {_shown(row.start)} {_shown(row.end)}")
    for closure in closures:
        start, end = closure.start.astimezone(PARIS), closure.end.astimezone(PARIS)
        if start.time() == end.time() == time(0):  # all day: khal shows the last day
            shown = f"{start.date()} {(end - timedelta(days=1)).date()}"
        else:
            shown = f"{_shown(start)} {_shown(end)}"
        lines.append(f"closure-{closure.pk}@locaux.example.fr {shown}")
    return sorted(lines)


def _book(member, space, first: Period, purpose: str, **series) -> Booking:
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=member.memberships.get().organisation,
            purpose=purpose,
            attendees=8,
            first=first,
            **series,
        ),
        requested_by=member,
    )


@pytest.fixture
def member(territory_admin):
    structure = StructureFactory(
        name="Mobilité Solidaire", verified_at=timezone.now(), verified_by=territory_admin
    )
    return MembershipFactory(
        organisation=structure, user=UserFactory(email="asso@example.test")
    ).user


@pytest.fixture
def repeated_hour(member, space) -> Booking:
    """31 October 2027, from 02:30 summer time to 02:00 winter time (half an hour)."""
    day = date(2027, 10, 31)
    return _book(
        member,
        space,
        Period(_paris(day, 2, 30), _paris(day, 2, 0, fold=1)),
        "Veille de nuit",
    )


@pytest.fixture
def weekly_across_both_changes(member, space) -> Booking:
    """Tuesdays 18:00-20:00 from 2 March to 9 November 2027, but not on 30 March."""
    series = _book(
        member,
        space,
        Period(_paris(date(2027, 3, 2), 18), _paris(date(2027, 3, 2), 20)),
        "Répétition de la chorale",
        frequency="weekly",
        repeat_until=date(2027, 11, 9),
    )
    booking_cancel(
        booking=series,
        actor=member,
        reason="Vacances",
        occurrence_start=_paris(date(2027, 3, 30), 18),
    )
    return series


@pytest.fixture
def weekly_in_the_repeated_hour(member, site) -> Booking:
    """Sundays 02:15-02:45 from 17 October to 14 November 2027: one date in the repeated hour."""
    night_room = SpaceFactory(site=site, name="Salle de veille")
    return _book(
        member,
        night_room,
        Period(_paris(date(2027, 10, 17), 2, 15), _paris(date(2027, 10, 17), 2, 45)),
        "Maraude",
        frequency="weekly",
        repeat_until=date(2027, 11, 14),
    )


@pytest.fixture
def closures(facilities_manager, site) -> list[Closure]:
    works_room = SpaceFactory(site=site, name="Atelier")
    return [
        closure_create(
            actor=facilities_manager,
            site=site,
            period=Period(_paris(date(2027, 11, 11), 0), _paris(date(2027, 11, 12), 0)),
            reason="Armistice",
        ),
        # Ends in the repeated hour, in winter time.
        closure_create(
            actor=facilities_manager,
            space=works_room,
            period=Period(_paris(date(2027, 10, 31), 1), _paris(date(2027, 10, 31), 2, 30, fold=1)),
            reason="Relevé des compteurs",
        ),
    ]


def _fetched(client, feed: CalendarFeed) -> bytes:
    response = client.get(reverse("bookings:feed-ics", kwargs={"token": feed.token}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return response.content


# A test's own usefixtures run before the module's: the clock first, so the series are booked
# at the frozen "now".
@pytest.mark.usefixtures(
    "frozen_clock", "weekly_across_both_changes", "weekly_in_the_repeated_hour"
)
def test_khal_imports_the_site_feed_with_every_date_at_its_time(
    client, tmp_path, facilities_manager, site, repeated_hour, closures
):
    feed = calendar_feed_create(user=facilities_manager, scope="site", target=site)

    listed = _khal(tmp_path / "site", _fetched(client, feed))

    assert listed == _expected(list(Booking.objects.all()), closures)
    # As the issue reported it: half an hour, from summer time into winter time.
    assert (
        f"booking-{repeated_hour.pk}@locaux.example.fr "
        "2027-10-31T02:30+0200 2027-10-31T02:00+0100" in listed
    )


def test_khal_imports_the_space_feed(
    client, tmp_path, facilities_manager, space, repeated_hour, weekly_across_both_changes
):
    feed = calendar_feed_create(user=facilities_manager, scope="space", target=space)

    listed = _khal(tmp_path / "space", _fetched(client, feed))

    assert listed == _expected([repeated_hour, weekly_across_both_changes], [])
    chorale = [line for line in listed if f"booking-{weekly_across_both_changes.pk}@" in line]
    # 18:00 in Paris all year round: winter time (+0100) and summer time (+0200).
    assert {line.split()[1][10:] for line in chorale} == {"T18:00+0100", "T18:00+0200"}
    assert not any("2027-03-30" in line for line in chorale)  # the cancelled date


@pytest.mark.usefixtures("frozen_clock", "repeated_hour", "weekly_across_both_changes")
def test_khal_imports_the_organisation_feed(client, tmp_path, member, weekly_in_the_repeated_hour):
    organisation = member.memberships.get().organisation
    feed = calendar_feed_create(user=member, scope="organisation", target=organisation)

    listed = _khal(tmp_path / "organisation", _fetched(client, feed))

    assert listed == _expected(list(Booking.objects.filter(organisation=organisation)), [])
    night = [line for line in listed if f"booking-{weekly_in_the_repeated_hour.pk}@" in line]
    assert len(night) == 5
    # django-scheduler holds that date in winter time (the second 02:15): the feed says so.
    assert "2027-10-31T02:15+0100 2027-10-31T02:45+0100" in " ".join(night)


def test_khal_imports_each_rooms_feed_after_a_series_moved_from_a_date(
    client, tmp_path, facilities_manager, site, space, member, weekly_across_both_changes
):
    """The chorale moves to the hall from 1 June: the Usinor room keeps March to May."""
    hall = SpaceFactory(site=site, name="Grande salle")
    booking_series_reschedule(
        booking=weekly_across_both_changes,
        change=SeriesChange(from_date=date(2027, 6, 1), space=hall.pk),
        actor=member,
    )

    listed = {
        room: _khal(
            tmp_path / name,
            _fetched(
                client, calendar_feed_create(user=facilities_manager, scope=scope, target=room)
            ),
        )
        for name, scope, room in [
            ("usinor", "space", space),
            ("hall", "space", hall),
            ("site", "site", site),
        ]
    }

    assert listed[space] == _expected([weekly_across_both_changes], [], space=space)
    assert listed[hall] == _expected([weekly_across_both_changes], [], space=hall)
    assert listed[site] == sorted(listed[space] + listed[hall])
    assert (len(listed[space]), len(listed[hall])) == (12, 24)  # 2 March-25 May without 30 March
    assert listed[space][-1].startswith(
        f"booking-{weekly_across_both_changes.pk}-space-{space.pk}@locaux.example.fr "
        "2027-05-25T18:00+0200"
    )
    assert listed[hall][0].endswith("2027-06-01T18:00+0200 2027-06-01T20:00+0200")


def test_khal_imports_a_series_lengthened_from_a_date(
    client, tmp_path, facilities_manager, space, member, weekly_across_both_changes
):
    """18:00-21:00 from 1 June: the longer dates override the listed ones (RECURRENCE-ID)."""
    booking_series_reschedule(
        booking=weekly_across_both_changes,
        change=SeriesChange(from_date=date(2027, 6, 1), start_time=time(18), end_time=time(21)),
        actor=member,
    )
    feed = calendar_feed_create(user=facilities_manager, scope="space", target=space)

    listed = _khal(tmp_path / "space", _fetched(client, feed))

    assert listed == _expected([weekly_across_both_changes], [])
    assert listed[-1].endswith("2027-11-09T18:00+0100 2027-11-09T21:00+0100")


# --- Without khal: what is written, and the guard that keeps one event from breaking a feed ---


def test_times_in_the_repeated_hour_are_written_in_utc(facilities_manager, site, repeated_hour):
    feed = calendar_feed_create(user=facilities_manager, scope="site", target=site)

    body = ics.feed_ical(feed=feed).decode()

    assert "DTSTART:20271031T003000Z" in body
    assert "DTEND:20271031T010000Z" in body
    assert "T023000\r\n" not in body


def test_a_series_stays_a_local_rrule_unless_a_date_is_in_the_repeated_hour(
    facilities_manager, site, weekly_across_both_changes, weekly_in_the_repeated_hour
):
    feed = calendar_feed_create(user=facilities_manager, scope="site", target=site)

    events = {
        str(event["UID"]).split("@")[0]: event.to_ical().decode()
        for event in ics.feed_calendar(feed=feed).walk("VEVENT")
    }

    chorale = events[f"booking-{weekly_across_both_changes.pk}"]
    assert "DTSTART;TZID=Europe/Paris:20270302T180000" in chorale
    assert "RRULE:FREQ=WEEKLY;" in chorale
    assert "EXDATE;TZID=Europe/Paris:20270330T180000" in chorale
    # Clients expand 02:15 of 31 October to either of the two: the dates are listed in UTC.
    night = events[f"booking-{weekly_in_the_repeated_hour.pk}"]
    assert "RRULE" not in night
    assert "DTSTART:20271017T001500Z" in night
    assert "DTEND:20271017T004500Z" in night
    assert "RDATE:20271024T001500Z,20271031T011500Z,20271107T011500Z,20271114T011500Z" in night


def test_an_event_a_client_would_read_as_ending_before_it_starts_is_not_sound():
    day = date(2027, 10, 31)
    written_as_before = ics.Event()
    # What the feed used to write for the booking above: both wall-clock times with a TZID.
    written_as_before.add("dtstart", _paris(day, 2, 30))
    written_as_before.add("dtend", _paris(day, 2, 0, fold=1))
    in_utc = ics.Event()
    in_utc.add("dtstart", _paris(day, 2, 30).astimezone(UTC))
    in_utc.add("dtend", _paris(day, 2, 0, fold=1).astimezone(UTC))

    assert not ics.event_is_sound(written_as_before)
    assert ics.event_is_sound(in_utc)
