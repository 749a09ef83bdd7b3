"""Pure time rules: local times that do not exist, elapsed time, public holidays, opening hours."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bookings.rules import NonExistentLocalTimeError, Period, french_public_holidays, make_local
from spaces.rules import within_opening_hours
from tests.factories import PARIS

TUESDAY_9_TO_18 = [(1, time(9), time(18))]


def test_make_local_refuses_a_time_skipped_when_clocks_go_forward():
    skipped = datetime(2027, 3, 28, 2, 30)  # noqa: DTZ001 (a wall-clock time, by design)

    with pytest.raises(NonExistentLocalTimeError) as error:
        make_local(skipped, PARIS)

    assert error.value.local == skipped


def test_make_local_takes_the_first_of_a_repeated_hour_when_clocks_go_back():
    repeated = datetime(2027, 10, 31, 2, 30)  # noqa: DTZ001 (a wall-clock time, by design)

    local = make_local(repeated, PARIS)

    assert (local.fold, local.utcoffset()) == (0, timedelta(hours=2))
    assert local.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_period_elapsed_of_the_march_change_day_is_23_hours():
    day = Period(
        make_local(datetime(2027, 3, 28), PARIS),  # noqa: DTZ001
        make_local(datetime(2027, 3, 29), PARIS),  # noqa: DTZ001
    )

    elapsed = day.elapsed

    assert elapsed == timedelta(hours=23)


def test_period_elapsed_of_the_october_change_day_is_25_hours():
    day = Period(
        make_local(datetime(2027, 10, 31), PARIS),  # noqa: DTZ001
        make_local(datetime(2027, 11, 1), PARIS),  # noqa: DTZ001
    )

    elapsed = day.elapsed

    assert elapsed == timedelta(hours=25)


def test_period_refuses_naive_datetimes():
    naive = datetime(2027, 1, 12, 18)  # noqa: DTZ001

    with pytest.raises(ValueError, match="aware"):
        Period(naive, naive + timedelta(hours=2))


def test_period_overlaps_is_false_for_back_to_back_periods():
    first = Period(datetime(2027, 1, 12, 17, tzinfo=UTC), datetime(2027, 1, 12, 18, tzinfo=UTC))
    second = Period(datetime(2027, 1, 12, 18, tzinfo=UTC), datetime(2027, 1, 12, 19, tzinfo=UTC))

    overlaps = first.overlaps(second) or second.overlaps(first)

    assert overlaps is False


def test_french_public_holidays_of_2027_follow_easter():
    holidays = french_public_holidays(2027)

    assert holidays[date(2027, 3, 29)] == "Lundi de Pâques"
    assert holidays[date(2027, 5, 6)] == "Ascension"
    assert holidays[date(2027, 5, 17)] == "Lundi de Pentecôte"


@pytest.mark.parametrize("easter_monday", [date(2026, 4, 6), date(2027, 3, 29), date(2028, 4, 17)])
def test_french_public_holidays_include_easter_monday(easter_monday):
    holidays = french_public_holidays(easter_monday.year)

    assert holidays[easter_monday] == "Lundi de Pâques"


def test_french_public_holidays_are_the_eleven_of_mainland_france():
    holidays = french_public_holidays(2027)

    assert len(holidays) == 11
    assert {date(2027, 1, 1), date(2027, 7, 14), date(2027, 11, 11), date(2027, 12, 25)} <= set(
        holidays
    )


def test_within_opening_hours_accepts_a_slot_inside_the_window():
    tuesday = date(2027, 1, 12)

    fits = within_opening_hours(
        local_start=datetime.combine(tuesday, time(9)),
        local_end=datetime.combine(tuesday, time(18)),
        hours=TUESDAY_9_TO_18,
    )

    assert fits is True


def test_within_opening_hours_refuses_a_slot_running_past_closing_time():
    tuesday = date(2027, 1, 12)

    fits = within_opening_hours(
        local_start=datetime.combine(tuesday, time(17)),
        local_end=datetime.combine(tuesday, time(18, 30)),
        hours=TUESDAY_9_TO_18,
    )

    assert fits is False


def test_within_opening_hours_refuses_a_day_without_a_window():
    wednesday = date(2027, 1, 13)

    fits = within_opening_hours(
        local_start=datetime.combine(wednesday, time(10)),
        local_end=datetime.combine(wednesday, time(11)),
        hours=TUESDAY_9_TO_18,
    )

    assert fits is False


def test_within_opening_hours_refuses_a_slot_past_midnight():
    tuesday = date(2027, 1, 12)

    fits = within_opening_hours(
        local_start=datetime.combine(tuesday, time(20)),
        local_end=datetime.combine(tuesday + timedelta(days=1), time(1)),
        hours=[(1, time(8), time(23, 59))],
    )

    assert fits is False


def test_within_opening_hours_accepts_anything_without_windows():
    sunday = date(2027, 1, 17)

    fits = within_opening_hours(
        local_start=datetime.combine(sunday, time(3)),
        local_end=datetime.combine(sunday, time(23)),
        hours=[],
    )

    assert fits is True
