"""The dates of a weekly slot (seasons/dates.py): zone B school holidays and public holidays."""

from datetime import date

from seasons.dates import period_bounds, slot_dates

MONDAY = 0


def test_slot_dates_skip_zone_b_holidays_when_the_space_closes_then():
    days = slot_dates(
        weekday=MONDAY,
        start=date(2027, 2, 1),
        end=date(2027, 3, 15),
        closed_in_school_holidays=True,
    )

    # 22 February and 1 March 2027 are the Nord's winter holidays (zone B).
    assert days == [date(2027, 2, 1), date(2027, 2, 8), date(2027, 2, 15), date(2027, 3, 8)]


def test_slot_dates_keep_school_holidays_but_not_public_holidays_when_the_space_stays_open():
    days = slot_dates(
        weekday=MONDAY,
        start=date(2028, 4, 10),
        end=date(2028, 4, 25),
        closed_in_school_holidays=False,
        closed_days=[date(2028, 4, 24)],
    )

    # Easter Monday 17 April 2028 is a public holiday; 24 April is closed.
    assert days == [date(2028, 4, 10)]


def test_period_bounds_share_the_school_year_out_in_three_terms():
    year = period_bounds(2027, "year")
    terms = [period_bounds(2027, f"term_{n}") for n in (1, 2, 3)]

    assert (terms[0][0], terms[0][1] == terms[1][0], terms[1][1] == terms[2][0], terms[2][1]) == (
        year[0],
        True,
        True,
        year[1],
    )
