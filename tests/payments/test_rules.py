from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from payments.rules import (
    OrganisationCategory,
    TariffUnit,
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
