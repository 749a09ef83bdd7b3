"""The observatory's monthly summary (OccupancyMonth) kept by the Occupancy writer (issue 15,
third pass): after the writer's operations — a series booked, one of its dates cancelled, a
request refused, one lapsed, past dates recorded, a date across the clock change, dates across
a month's end — the summary is the raw rows recomputed by hand (hour by hour, each hour in the
local month it begins in), the rebuild command leaves it as it is, and the dashboard's figures
over whole months, partial months and both are those computed from the raw rows.

The clock is frozen on 4 January 2027, so the dates go through the real services (which refuse
the past) but for the recorded history of December 2026."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import Organisation
from bookings.models import Occupancy, OccupancyKind, OccupancyMonth
from bookings.rules import Period
from bookings.services import (
    booking_cancel,
    booking_refuse,
    bookings_expire_lapsed,
)
from bookings.services.occupancy import occupancies_free, occupancies_record_past
from reports.selectors.occupancy import observatory
from spaces.models import Site
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)
from tests.helpers import race

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

PARIS = paris(2027, 1, 1).tzinfo
HOUR = timedelta(hours=1)
NOW = paris(2027, 1, 4, 9)


@pytest.fixture
def requesters(db):
    return [
        MembershipFactory(organisation=VerifiedStructureFactory(), user=UserFactory()).user
        for _index in range(2)
    ]


@pytest.fixture
def history(site, facilities_manager, requesters):
    """Every operation of the writer on two spaces of a managed site (requests are pending,
    which holds their dates as a confirmation does), for two structures."""
    first, second = requesters
    hall = SpaceFactory(site=site, name="Salle B")  # no opening hours: always open
    room = SpaceFactory(site=site, name="Salle A")
    # A weekly series of ten Tuesdays from 2 March (across the clock change of 28 March and
    # the end of March), one of its dates cancelled.
    series = booking_request_for(
        space=room,
        requested_by=first,
        start=paris(2027, 3, 2, 18),
        end=paris(2027, 3, 2, 20),
        frequency="weekly",
        repeat_count=10,
    )
    booking_cancel(
        booking=series, actor=first, reason="Salle inutile", occurrence_start=paris(2027, 3, 16, 18)
    )
    # Across the clock change: 00:00–05:00 on Sunday 28 March is four elapsed hours.
    booking_request_for(
        space=hall, requested_by=second, start=paris(2027, 3, 28, 0), end=paris(2027, 3, 28, 5)
    )
    # Across a month's end: 31 March 22:00 – 1 April 02:00, and 30 April 21:00 – 1 May 03:00.
    booking_request_for(
        space=hall, requested_by=second, start=paris(2027, 3, 31, 22), end=paris(2027, 4, 1, 2)
    )
    booking_request_for(
        space=room, requested_by=second, start=paris(2027, 4, 30, 21), end=paris(2027, 5, 1, 3)
    )
    # Refused, and lapsed: their dates do not count.
    refused = booking_request_for(
        space=hall, requested_by=first, start=paris(2027, 4, 6, 10), end=paris(2027, 4, 6, 12)
    )
    booking_refuse(booking=refused, actor=facilities_manager, reason="Salle en travaux")
    lapsing = booking_request_for(
        space=hall, requested_by=first, start=paris(2027, 1, 12, 10), end=paris(2027, 1, 12, 12)
    )
    assert bookings_expire_lapsed(now=lapsing.lapses_at) == 1
    # The recorded history: December 2026, one date across the year's end, one cancelled.
    occupancies_record_past(
        held=[
            (
                series,
                [
                    (Period(paris(2026, 12, 1, 18), paris(2026, 12, 1, 20)), False),
                    (Period(paris(2026, 12, 8, 18), paris(2026, 12, 8, 20)), True),
                    (Period(paris(2026, 12, 31, 22), paris(2027, 1, 1, 1)), False),
                ],
            )
        ],
        cancelled_at=paris(2026, 12, 20),
    )
    return {"hall": hall, "room": room}


def _active_dates():
    return list(
        Occupancy.objects.filter(kind=OccupancyKind.BOOKING, active=True).values_list(
            "space_id", "booking__organisation_id", "start", "end"
        )
    )


def _by_hand() -> dict:
    """The summary recomputed from the rows, hour by hour (every date here is on the hour)."""
    booked = defaultdict(timedelta)
    for space_id, organisation_id, start, end in _active_dates():
        start_month = start.astimezone(PARIS).date().replace(day=1)
        hour = start
        while hour < end:
            month = hour.astimezone(PARIS).date().replace(day=1)
            booked[space_id, organisation_id, start_month, month] += HOUR
            hour += HOUR
    return dict(booked)


def _summary() -> dict:
    return {
        (row.space_id, row.organisation_id, row.start_month, row.month): row.booked
        for row in OccupancyMonth.objects.all()
        if row.booked
    }


def test_the_summary_is_the_rows_split_by_local_month(history):
    assert _summary() == _by_hand()


def test_dates_across_the_clock_change_and_a_months_end_count_their_elapsed_hours(history):
    hall = history["hall"]
    summary = {
        (start_month, month): booked
        for (space_id, _organisation, start_month, month), booked in _summary().items()
        if space_id == hall.pk
    }

    # March: 4 elapsed hours on 28 March (5 on the clock) and 2 h before midnight on the 31st;
    # April: the 2 h after midnight of the date that starts in March.
    assert summary == {
        (date(2027, 3, 1), date(2027, 3, 1)): timedelta(hours=6),
        (date(2027, 3, 1), date(2027, 4, 1)): timedelta(hours=2),
    }


def test_refused_and_lapsed_dates_were_added_then_subtracted(history, requesters):
    # The first structure booked the hall only with the refused and the lapsed requests.
    rows = OccupancyMonth.objects.filter(
        space=history["hall"], organisation=requesters[0].memberships.get().organisation
    )

    assert sorted((row.month, row.booked) for row in rows) == [
        (date(2027, 1, 1), timedelta(0)),
        (date(2027, 4, 1), timedelta(0)),
    ]


def test_the_rebuild_is_idempotent_and_repairs_the_summary(history):
    OccupancyMonth.objects.filter(month=date(2027, 3, 1)).update(booked=timedelta(hours=99))
    out = StringIO()

    call_command("occupancy_summary_rebuild", stdout=out)
    once = _summary()
    call_command("occupancy_summary_rebuild", stdout=StringIO())

    assert (once, _summary(), out.getvalue()) == (
        _by_hand(),
        _by_hand(),
        f"{len(_by_hand())} ligne(s) de synthèse mensuelle recalculée(s).\n",
    )


def _hours(seconds: float) -> Decimal:
    return Decimal(seconds / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _figures_by_hand(first_day: date, after_day: date) -> dict:
    """The dashboard's booked figures from the raw rows, clipped to each period in Python."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=PARIS).astimezone(UTC)

    start, end = midnight(first_day), midnight(after_day)
    before = midnight(first_day - (after_day - first_day))
    months, month = [], first_day.replace(day=1)
    while month < after_day:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    spaces, structures, per_month = defaultdict(lambda: [0.0, 0.0]), defaultdict(float), {}
    for space_id, organisation_id, row_start, row_end in _active_dates():
        now = max((min(row_end, end) - max(row_start, start)).total_seconds(), 0)
        then = max((min(row_end, start) - max(row_start, before)).total_seconds(), 0)
        spaces[space_id][0] += now
        spaces[space_id][1] += then
        if now:
            structures[organisation_id] += now
            month = row_start.astimezone(PARIS).date().replace(day=1)
            if month in months:
                per_month[month] = per_month.get(month, 0.0) + now
    return {
        "spaces": {pk: tuple(both) for pk, both in spaces.items() if any(both)},
        "structures": dict(structures),
        "months": [(month, _hours(per_month.get(month, 0.0))) for month in months],
    }


def _figures(first_day: date, after_day: date) -> dict:
    data = observatory(sites=Site.objects.all(), first_day=first_day, after_day=after_day)
    return {
        "spaces": {
            int(line.key): (line.current.booked, line.previous.booked)
            for line in data.spaces
            if line.current.booked or line.previous.booked
        },
        "structures": {use.structure_id: use.booked for use in data.structures},
        "months": data.months,
    }


@pytest.mark.parametrize(
    ("first_day", "after_day"),
    [
        (date(2027, 3, 1), date(2027, 5, 1)),  # whole months; the previous ones too
        (date(2027, 1, 1), date(2027, 4, 1)),  # whole; the previous period holds December
        (date(2027, 3, 15), date(2027, 5, 10)),  # partial months at both edges, one whole
        (date(2027, 4, 1), date(2027, 4, 20)),  # inside one month
        (date(2027, 3, 29), date(2027, 4, 2)),  # across a month's end, no whole month
        (date(2026, 12, 1), date(2027, 12, 1)),  # a year
    ],
)
def test_the_dashboard_gives_the_figures_of_the_raw_rows(history, first_day, after_day):
    expected = _figures_by_hand(first_day, after_day)

    assert _figures(first_day, after_day) == expected
    assert expected["spaces"]  # the period sees some of the dates


def test_a_structure_whose_time_was_all_freed_is_not_listed(history, requesters):
    second = Organisation.objects.get(pk=requesters[1].memberships.get().organisation_id)

    for booking in second.bookings.all():
        booking_cancel(booking=booking, actor=requesters[1], reason="Plus besoin")

    assert second.pk not in _figures(date(2027, 3, 1), date(2027, 6, 1))["structures"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent transactions"
)
def test_writers_at_once_neither_lose_nor_double_an_update(transactional_db, site, requesters):
    """Four transactions add to the same month of the same space and structure at once, then
    two free the same dates at once: every addition counts, the subtraction happens once."""
    hall = SpaceFactory(site=site, name="Salle B")
    bookings = [
        booking_request_for(
            space=hall,
            requested_by=requesters[0],
            start=paris(2027, 2, day, 10),
            end=paris(2027, 2, day, 12),
        )
        for day in (1, 2, 3, 4)
    ]

    def record(booking, day):
        def attempt():
            with transaction.atomic():
                period = Period(paris(2026, 12, day, 18), paris(2026, 12, day, 20))
                occupancies_record_past(held=[(booking, [(period, False)])], cancelled_at=NOW)
            return "recorded"

        return attempt

    def free():
        with transaction.atomic():
            return occupancies_free(
                rows=Occupancy.objects.filter(start__lt=paris(2027, 1, 1)), at=NOW
            )

    recorded = race([record(booking, day) for day, booking in enumerate(bookings, start=1)])
    december = OccupancyMonth.objects.get(month=date(2026, 12, 1)).booked
    freed = race([free, free])

    assert (
        recorded,
        december,
        freed,
        OccupancyMonth.objects.get(month=date(2026, 12, 1)).booked,
    ) == (
        {"recorded": 4},
        timedelta(hours=8),
        {4: 1, 0: 1},
        timedelta(0),
    )
