"""Recurring series in local time, and the two clock changes of 2027 (28 March, 31 October).

Every occurrence is checked in Paris wall-clock time: a series expanded through UTC would land an
hour early or late after a change, and these tests would see it.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from schedule.models import Event, Occurrence

from bookings.exceptions import BookingConflict
from bookings.models import Booking, Frequency, Occupancy
from bookings.rules import Period
from tests.factories import PARIS, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def _series(space, user, start, end, frequency=Frequency.WEEKLY, **extra) -> Booking:
    return booking_request_for(
        space=space, requested_by=user, start=start, end=end, frequency=frequency, **extra
    )


def _local_slots(booking: Booking) -> list[tuple[date, time, time]]:
    """(day, start, end) of each active occurrence, in Paris wall-clock time."""
    return [
        (
            row.start.astimezone(PARIS).date(),
            row.start.astimezone(PARIS).time(),
            row.end.astimezone(PARIS).time(),
        )
        for row in booking.occupancies.filter(active=True).order_by("start")
    ]


def test_weekly_series_stays_at_18_00_local_across_the_march_change(space, requester):
    booking = _series(
        space, requester, paris(2027, 3, 2, 18), paris(2027, 3, 2, 20), repeat_count=10
    )

    slots = _local_slots(booking)

    first = date(2027, 3, 2)
    assert slots == [(first + timedelta(weeks=n), time(18), time(20)) for n in range(10)]


def test_weekly_series_changes_its_utc_offset_after_the_march_change(space, requester):
    booking = _series(
        space, requester, paris(2027, 3, 2, 18), paris(2027, 3, 2, 20), repeat_count=10
    )

    offsets = [
        row.start.astimezone(PARIS).utcoffset() for row in booking.occupancies.order_by("start")
    ]

    assert offsets == [timedelta(hours=1)] * 4 + [timedelta(hours=2)] * 6


def test_weekly_series_stays_at_18_00_local_across_the_october_change(space, requester):
    booking = _series(
        space, requester, paris(2027, 10, 5, 18), paris(2027, 10, 5, 20), repeat_count=10
    )

    slots = _local_slots(booking)

    first = date(2027, 10, 5)
    assert slots == [(first + timedelta(weeks=n), time(18), time(20)) for n in range(10)]


def test_biweekly_series_repeats_every_other_week(space, requester):
    booking = _series(
        space,
        requester,
        paris(2027, 3, 16, 18),
        paris(2027, 3, 16, 20),
        frequency=Frequency.BIWEEKLY,
        repeat_count=4,
    )

    slots = _local_slots(booking)

    assert [day for day, _start, _end in slots] == [
        date(2027, 3, 16),
        date(2027, 3, 30),
        date(2027, 4, 13),
        date(2027, 4, 27),
    ]
    assert {(start, end) for _day, start, end in slots} == {(time(18), time(20))}


def test_monthly_series_by_date_keeps_the_day_of_the_month(space, requester):
    booking = _series(
        space,
        requester,
        paris(2027, 1, 15, 18),
        paris(2027, 1, 15, 20),
        frequency=Frequency.MONTHLY_DATE,
        repeat_count=5,
    )

    slots = _local_slots(booking)

    assert slots == [(date(2027, month, 15), time(18), time(20)) for month in range(1, 6)]


def test_monthly_series_by_weekday_keeps_the_second_tuesday(space, requester):
    booking = _series(
        space,
        requester,
        paris(2027, 1, 12, 18),
        paris(2027, 1, 12, 20),
        frequency=Frequency.MONTHLY_WEEKDAY,
        repeat_count=6,
    )

    slots = _local_slots(booking)

    assert slots == [
        (date(2027, 1, 12), time(18), time(20)),
        (date(2027, 2, 9), time(18), time(20)),
        (date(2027, 3, 9), time(18), time(20)),
        (date(2027, 4, 13), time(18), time(20)),
        (date(2027, 5, 11), time(18), time(20)),
        (date(2027, 6, 8), time(18), time(20)),
    ]


def test_series_until_a_date_includes_that_date(space, requester):
    booking = _series(
        space,
        requester,
        paris(2027, 1, 12, 18),
        paris(2027, 1, 12, 20),
        repeat_until=date(2027, 2, 2),
    )

    days = [day for day, _start, _end in _local_slots(booking)]

    assert days == [date(2027, 1, 12), date(2027, 1, 19), date(2027, 1, 26), date(2027, 2, 2)]


def test_series_of_a_count_stops_after_that_many_dates(space, requester):
    booking = _series(
        space, requester, paris(2027, 1, 12, 18), paris(2027, 1, 12, 20), repeat_count=3
    )

    days = [day for day, _start, _end in _local_slots(booking)]

    assert days == [date(2027, 1, 12), date(2027, 1, 19), date(2027, 1, 26)]


def test_series_needs_either_an_end_date_or_a_count(space, requester):
    with pytest.raises(ValidationError) as error:
        _series(
            space,
            requester,
            paris(2027, 1, 12, 18),
            paris(2027, 1, 12, 20),
            repeat_count=3,
            repeat_until=date(2027, 2, 2),
        )

    assert list(error.value.message_dict) == ["repeat_until"]


def test_series_with_a_date_in_the_skipped_hour_is_refused_naming_that_date(space, requester):
    # Sundays 02:30–03:30 from 14 March: 02:30 does not exist on Sunday 28 March 2027.
    with pytest.raises(ValidationError) as error:
        _series(
            space, requester, paris(2027, 3, 14, 2, 30), paris(2027, 3, 14, 3, 30), repeat_count=4
        )

    message = error.value.message_dict["start"][0]
    assert "02:30" in message
    assert "28/03/2027" in message
    assert [Booking.objects.count(), Occupancy.objects.count(), Event.objects.count()] == [0, 0, 0]


def test_series_skip_conflicts_books_only_the_free_dates(space, requester, other_requester):
    taken = paris(2027, 1, 26, 18)
    booking_request_for(
        space=space, requested_by=other_requester, start=taken, end=taken + timedelta(hours=2)
    )

    booking = _series(
        space,
        requester,
        paris(2027, 1, 12, 18),
        paris(2027, 1, 12, 20),
        repeat_count=4,
        skip_conflicts=True,
    )

    days = [day for day, _start, _end in _local_slots(booking)]
    assert days == [date(2027, 1, 12), date(2027, 1, 19), date(2027, 2, 2)]


def test_series_skip_conflicts_removes_the_clashing_date_from_the_calendar(
    space, requester, other_requester
):
    taken = paris(2027, 1, 26, 18)
    booking_request_for(
        space=space, requested_by=other_requester, start=taken, end=taken + timedelta(hours=2)
    )

    booking = _series(
        space,
        requester,
        paris(2027, 1, 12, 18),
        paris(2027, 1, 12, 20),
        repeat_count=4,
        skip_conflicts=True,
    )

    cancelled = Occurrence.objects.filter(event=booking.event, cancelled=True)
    assert [occurrence.original_start for occurrence in cancelled] == [taken]


def test_series_without_skip_conflicts_lists_every_clashing_date(space, requester, other_requester):
    for day in (19, 26):
        taken = paris(2027, 1, day, 19)
        booking_request_for(
            space=space, requested_by=other_requester, start=taken, end=taken + timedelta(hours=2)
        )

    with pytest.raises(BookingConflict) as error:
        _series(space, requester, paris(2027, 1, 12, 18), paris(2027, 1, 12, 20), repeat_count=4)

    assert [(requested.start, occupied.start) for requested, occupied in error.value.clashes] == [
        (paris(2027, 1, 19, 18), paris(2027, 1, 19, 19)),
        (paris(2027, 1, 26, 18), paris(2027, 1, 26, 19)),
    ]
    assert Booking.objects.filter(requested_by=requester).count() == 0


def test_series_skip_conflicts_refuses_a_series_whose_every_date_clashes(
    space, requester, other_requester
):
    booking_request_for(
        space=space,
        requested_by=other_requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        frequency=Frequency.WEEKLY,
        repeat_count=2,
    )

    with pytest.raises(BookingConflict):
        _series(
            space,
            requester,
            paris(2027, 1, 12, 18),
            paris(2027, 1, 12, 20),
            repeat_count=2,
            skip_conflicts=True,
        )

    assert Booking.objects.filter(requested_by=requester).count() == 0


def test_booking_request_counts_real_elapsed_time_over_the_march_change(space, requester):
    # 01:00 → 04:00 on the wall clock, but 2 hours elapsed: clocks skip 02:00–03:00.
    space.max_booking_minutes = 150
    space.save()
    period = Period(paris(2027, 3, 28, 1), paris(2027, 3, 28, 4))

    booking = booking_request_for(
        space=space, requested_by=requester, start=period.start, end=period.end
    )

    assert period.elapsed == timedelta(hours=2)
    assert _local_slots(booking) == [(date(2027, 3, 28), time(1), time(4))]


def test_booking_request_counts_real_elapsed_time_over_the_october_change(space, requester):
    # 01:00 → 03:00 on the wall clock, but 3 hours elapsed: clocks repeat 02:00–03:00.
    space.max_booking_minutes = 150
    space.save()

    with pytest.raises(ValidationError) as error:
        booking_request_for(
            space=space,
            requested_by=requester,
            start=paris(2027, 10, 31, 1),
            end=paris(2027, 10, 31, 3),
        )

    assert list(error.value.message_dict) == ["end"]


def test_a_duplicate_rule_left_by_two_first_requests_at_once_is_harmless(space, requester):
    from schedule.models import Rule

    # django-scheduler's Rule.name is not unique: two first weekly requests at the same moment
    # may each have created one.
    for _ in range(2):
        Rule.objects.create(name="weekly", frequency="WEEKLY", params="", description="weekly")

    booking = _series(
        space, requester, paris(2027, 3, 2, 18), paris(2027, 3, 2, 20), repeat_count=3
    )

    assert booking.event.rule == Rule.objects.filter(name="weekly").order_by("pk").first()
    assert len(_local_slots(booking)) == 3


def test_a_single_slot_in_the_skipped_hour_is_refused_naming_it(space, requester):
    # 02:30 does not exist on Sunday 28 March 2027 (a single slot has no series to expand).
    with pytest.raises(ValidationError) as error:
        booking_request_for(
            space=space,
            requested_by=requester,
            start=datetime(2027, 3, 28, 2, 30, tzinfo=PARIS),
            end=datetime(2027, 3, 28, 4, 30, tzinfo=PARIS),
        )

    assert "02:30" in str(error.value.message_dict), error.value.message_dict
    assert [Booking.objects.count(), Occupancy.objects.count()] == [0, 0]


def test_a_single_slot_in_the_repeated_hour_is_booked_at_its_real_times(space, requester):
    # 31 October 2027: 02:30 summer time to 02:00 winter time, half an hour; the second 02:00
    # (fold=1) is an hour after the first, and the row must say so (its buffer starts there).
    start = datetime(2027, 10, 31, 2, 30, tzinfo=PARIS)
    end = datetime(2027, 10, 31, 2, 0, fold=1, tzinfo=PARIS)

    booking = booking_request_for(space=space, requested_by=requester, start=start, end=end)

    [row] = booking.occupancies.all()
    # (Python never finds a time of the repeated hour equal to one of another zone: compare UTC.)
    assert (row.start, row.end) == (start.astimezone(UTC), end.astimezone(UTC))
    assert row.end - row.start == timedelta(minutes=30)
    assert row.blocked_until >= row.end
