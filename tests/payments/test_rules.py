from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from payments.rules import (
    OrganisationCategory,
    TariffUnit,
    agreement_month_fee,
    agreement_month_price,
    agreement_months,
    booking_price,
    organisation_category,
    refund_cents,
)
from tests.factories import paris

PARIS = ZoneInfo("Europe/Paris")


def price(occurrences, tariffs):
    return booking_price(
        occurrences=occurrences, tariffs=tariffs, category_label="Association", zone=PARIS
    )


@pytest.mark.parametrize(
    ("kind", "family", "siae", "expected"),
    [
        ("ess", "association", "", OrganisationCategory.ASSOCIATION),
        ("ess", "foundation", "", OrganisationCategory.ASSOCIATION),
        ("ess", "scic", "", OrganisationCategory.ESS_COMPANY),
        ("ess", "ess_company", "", OrganisationCategory.ESS_COMPANY),
        ("ess", "association", "aci", OrganisationCategory.INSERTION),
        ("ess", "ess_company", "ei", OrganisationCategory.INSERTION),
        ("commune", "", "", OrganisationCategory.COMMUNE_SERVICE),
        ("epci", "", "", OrganisationCategory.COMMUNE_SERVICE),
        ("other", "", "", OrganisationCategory.OTHER),
    ],
)
def test_organisation_category_follows_kind_family_and_siae(kind, family, siae, expected):
    assert organisation_category(kind=kind, ess_family=family, siae_kind=siae) == expected


def test_booking_price_counts_started_hours():
    start = paris(2027, 5, 4, 10)

    result = price([(start, start + timedelta(hours=2, minutes=30))], {TariffUnit.HOUR: 1500})

    assert result.amount_cents == 4500


def test_booking_price_picks_the_cheapest_unit_and_says_so():
    start = paris(2027, 5, 4, 8)
    tariffs = {TariffUnit.HOUR: 1500, TariffUnit.HALF_DAY: 5000, TariffUnit.DAY: 8000}

    with translation.override("en"):
        result = price([(start, start + timedelta(hours=10))], tariffs)

    assert result.amount_cents == 8000
    assert "1 day" in result.rule


def test_booking_price_of_the_october_change_day_counts_25_real_hours():
    day = (paris(2027, 10, 31), paris(2027, 11, 1))

    assert price([day], {TariffUnit.HOUR: 100}).amount_cents == 2500


def test_booking_price_of_the_march_change_day_counts_23_real_hours():
    day = (paris(2027, 3, 28), paris(2027, 3, 29))

    assert price([day], {TariffUnit.HOUR: 100}).amount_cents == 2300


def test_booking_price_counts_a_25_hour_day_as_one_day():
    day = (paris(2027, 10, 31), paris(2027, 11, 1))

    assert price([day], {TariffUnit.DAY: 9000}).amount_cents == 9000


def test_booking_price_of_a_series_adds_its_dates():
    first = paris(2027, 5, 4, 18)
    dates = [(first + timedelta(weeks=n), first + timedelta(weeks=n, hours=2)) for n in range(4)]

    with translation.override("en"):
        result = price(dates, {TariffUnit.HOUR: 1000})

    assert result.amount_cents == 8000
    assert "4 dates" in result.rule


def test_booking_price_is_free_when_a_tariff_of_the_category_is_zero():
    start = paris(2027, 5, 4, 10)

    result = price([(start, start + timedelta(hours=2))], {TariffUnit.HOUR: 0})

    assert result.is_free


def test_booking_price_is_none_without_tariff():
    start = paris(2027, 5, 4, 10)

    assert price([(start, start + timedelta(hours=2))], {}) is None


def test_refund_cents_is_full_within_the_notice():
    assert (
        refund_cents(amount_cents=3000, hours_before_start=72, notice_hours=48, by_manager=False)[0]
        == 3000
    )


def test_refund_cents_is_nothing_after_the_notice_for_the_requester():
    assert (
        refund_cents(amount_cents=3000, hours_before_start=10, notice_hours=48, by_manager=False)[0]
        == 0
    )


def test_refund_cents_is_full_when_the_manager_cancels():
    assert (
        refund_cents(amount_cents=3000, hours_before_start=1, notice_hours=48, by_manager=True)[0]
        == 3000
    )


# --- Monthly fees of long-term agreements ---


def month_fee(annual, month_start, agreement_start, agreement_end):
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    return agreement_month_fee(
        annual_fee_cents=annual,
        month_start=month_start,
        month_end=month_end,
        agreement_start=agreement_start,
        agreement_end=agreement_end,
    )


def test_agreement_month_fee_of_a_full_month_is_a_twelfth():
    assert month_fee(1_200_00, date(2027, 3, 1), date(2027, 1, 1), date(2028, 1, 1)) == 100_00


def test_agreement_month_fee_twelve_months_add_up_to_the_annual_fee_exactly():
    annual = 1_000_07  # 100007 = 12 × 8333 + 11: eleven cents left over

    fees = [
        month_fee(annual, date(2027, month, 1), date(2027, 1, 1), date(2028, 1, 1))
        for month in range(1, 13)
    ]

    assert sum(fees) == annual
    assert fees[:11] == [8333] * 11
    assert fees[11] == 8333 + 11  # December carries the remainder


def test_agreement_month_fee_prorates_an_agreement_starting_on_the_15th():
    # January has 31 days; the 15th to the 31st is 17 days: 1000 € × 17/31 = 548.387… €
    fee = month_fee(12_000_00, date(2027, 1, 1), date(2027, 1, 15), date(2028, 1, 15))

    assert fee == 548_39


def test_agreement_month_fee_prorates_a_leap_february_by_29_days():
    # 2028 is a leap year: the 15th to the 29th is 15 days of 29; 1000 € × 15/29 = 517.241… €
    fee = month_fee(12_000_00, date(2028, 2, 1), date(2028, 2, 15), date(2029, 2, 15))

    assert fee == 517_24


def test_agreement_month_fee_prorates_the_last_month_up_to_the_exclusive_end():
    # Ends on 15 April (exclusive): 14 days of 30; 1000 € × 14/30 = 466.666… €
    fee = month_fee(12_000_00, date(2028, 4, 1), date(2027, 4, 15), date(2028, 4, 15))

    assert fee == 466_67


def test_agreement_month_fee_of_a_year_from_the_15th_adds_up_within_a_cent():
    start, end = date(2027, 1, 15), date(2028, 1, 15)
    months = [date(2027, month, 1) for month in range(1, 13)] + [date(2028, 1, 1)]

    total = sum(month_fee(12_000_00, month, start, end) for month in months)

    assert abs(total - 12_000_00) <= 1


def test_agreement_month_fee_is_zero_outside_the_agreement():
    assert month_fee(12_000_00, date(2027, 5, 1), date(2027, 6, 1), date(2028, 6, 1)) == 0


def test_agreement_month_fee_refuses_bounds_that_are_not_a_calendar_month():
    with pytest.raises(ValueError, match="calendar month"):
        agreement_month_fee(
            annual_fee_cents=12_000_00,
            month_start=date(2027, 1, 15),
            month_end=date(2027, 2, 15),
            agreement_start=date(2027, 1, 1),
            agreement_end=date(2028, 1, 1),
        )


def test_agreement_month_price_explains_the_proration():
    with translation.override("en"):
        price = agreement_month_price(
            annual_fee_cents=12_000_00,
            month_start=date(2027, 1, 1),
            month_end=date(2027, 2, 1),
            agreement_start=date(2027, 1, 15),
            agreement_end=date(2028, 1, 15),
        )

    assert price.amount_cents == 548_39
    assert price.rule == "Annual fee of 12,000.00 € ÷ 12 = 1,000.00 €, × 17/31 days occupied."


def test_agreement_months_picks_each_month_by_its_first_occupied_day():
    months = agreement_months(
        agreement_start=date(2027, 1, 15),
        agreement_end=date(2027, 4, 10),
        first_day=date(2027, 1, 1),
        last_day=date(2027, 12, 31),
    )

    assert months == [
        (date(2027, 1, 1), date(2027, 1, 15), date(2027, 2, 1)),
        (date(2027, 2, 1), date(2027, 2, 1), date(2027, 3, 1)),
        (date(2027, 3, 1), date(2027, 3, 1), date(2027, 4, 1)),
        (date(2027, 4, 1), date(2027, 4, 1), date(2027, 4, 10)),
    ]


def test_agreement_months_leaves_out_a_month_started_before_the_period():
    months = agreement_months(
        agreement_start=date(2027, 1, 15),
        agreement_end=date(2028, 1, 15),
        first_day=date(2027, 1, 20),
        last_day=date(2027, 2, 28),
    )

    assert months == [(date(2027, 2, 1), date(2027, 2, 1), date(2027, 3, 1))]
