"""Valuation of the in-kind aid (art. 9-1 loi 2000-321): rental value × surface × share of each
calendar year − fee, never negative, with the real number of days of each year."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings.allocations import (
    allocation_accept,
    allocation_annual_value_cents,
    allocation_end,
    allocation_offer,
    allocation_sign,
    allocation_value_cents,
)
from bookings.models import FreeUseBasis
from bookings.rules import (
    days_in_year,
    in_kind_value_cents,
    reference_rent_cents_per_year,
    year_fraction,
)
from tests.factories import MembershipFactory, SpaceFactory, StructureFactory

RENT = 240_000  # 20 m² at 120 €/m²/year, in cents


def value(start: date, end: date, year: int, *, fee: int = 0, rent: int = RENT) -> int:
    return in_kind_value_cents(
        reference_rent_cents_per_year=rent, annual_fee_cents=fee, start=start, end=end, year=year
    )


def test_reference_rent_is_rent_per_m2_times_surface_in_cents():
    assert (
        reference_rent_cents_per_year(rent_per_m2_year=Decimal("120"), surface_m2=Decimal("20"))
        == 240_000
    )


def test_reference_rent_rounds_half_up_to_the_cent():
    # 12.345 €/m² × 10 m² = 123.45 €; 10.005 × 1 = 10.005 € → 10.01 €
    assert (
        reference_rent_cents_per_year(rent_per_m2_year=Decimal("12.345"), surface_m2=Decimal("10"))
        == 12_345
    )
    assert (
        reference_rent_cents_per_year(rent_per_m2_year=Decimal("10.005"), surface_m2=Decimal("1"))
        == 1_001
    )


def test_a_full_year_is_worth_the_whole_rental_value():
    assert value(date(2027, 1, 1), date(2028, 1, 1), 2027) == 240_000


def test_a_full_leap_year_is_worth_the_whole_rental_value():
    assert value(date(2028, 1, 1), date(2029, 1, 1), 2028) == 240_000


def test_2028_has_366_days():
    assert (days_in_year(2027), days_in_year(2028)) == (365, 366)


def test_a_partial_year_counts_its_days():
    # 1 July → 31 December 2027: 184 days of 365
    assert year_fraction(start=date(2027, 7, 1), end=date(2028, 1, 1), year=2027) == pytest.approx(
        184 / 365
    )
    assert value(date(2027, 7, 1), date(2028, 1, 1), 2027) == round(240_000 * 184 / 365)


def test_a_partial_leap_year_divides_by_366():
    # 1 January → 29 February 2028: 60 days of 366
    assert value(date(2028, 1, 1), date(2028, 3, 1), 2028) == round(240_000 * 60 / 366)
    assert value(date(2028, 1, 1), date(2028, 3, 1), 2028) == 39_344


def test_the_29th_of_february_counts_as_one_day():
    assert value(date(2028, 2, 29), date(2028, 3, 1), 2028) == round(240_000 / 366)


def test_an_agreement_over_two_years_is_split_per_year():
    start, end = date(2027, 7, 1), date(2028, 7, 1)

    per_year = {year: value(start, end, year) for year in (2026, 2027, 2028, 2029)}

    assert per_year == {
        2026: 0,
        2027: round(240_000 * 184 / 365),  # 120 986
        2028: round(240_000 * 182 / 366),  # 119 344
        2029: 0,
    }


def test_the_fee_is_deducted_from_the_rental_value():
    assert value(date(2027, 1, 1), date(2028, 1, 1), 2027, fee=100_000) == 140_000


def test_a_fee_above_the_rental_value_is_no_aid_not_a_negative_one():
    assert value(date(2027, 1, 1), date(2028, 1, 1), 2027, fee=300_000) == 0


def test_a_fee_equal_to_the_rental_value_is_no_aid():
    assert value(date(2027, 1, 1), date(2028, 1, 1), 2027, fee=RENT) == 0


def test_no_day_in_the_year_is_worth_nothing():
    assert value(date(2027, 3, 1), date(2027, 3, 1), 2027) == 0


# --- Through the agreement ---


@pytest.fixture
def office(site):
    return SpaceFactory(
        site=site, allocatable=True, surface_m2=Decimal("20"), reference_rent=Decimal("120")
    )


@pytest.fixture
def verified(territory_admin):
    return StructureFactory(verified_at=timezone.now(), verified_by=territory_admin)


def _offer(actor, structure, spaces, start, end, **terms):
    if "annual_fee_cents" not in terms:
        terms["free_use_basis"] = FreeUseBasis.L2125_1
    return allocation_offer(
        actor=actor,
        structure=structure,
        spaces=spaces,
        start=start,
        end=end,
        direct_reason="Occupation courte",
        **terms,
    )


def test_allocation_value_adds_the_spaces_with_a_rental_value(
    facilities_manager, verified, office, site
):
    storage = SpaceFactory(
        site=site, allocatable=True, surface_m2=Decimal("10"), reference_rent=Decimal("30")
    )
    unknown = SpaceFactory(site=site, allocatable=True, reference_rent=None)
    allocation = _offer(
        facilities_manager, verified, [office, storage, unknown], date(2027, 1, 1), date(2028, 1, 1)
    )

    assert allocation_annual_value_cents(allocation=allocation) == 240_000 + 30_000
    assert allocation_value_cents(allocation=allocation, year=2027) == 270_000


def test_allocation_annual_value_is_never_negative(facilities_manager, verified, office):
    allocation = _offer(
        facilities_manager,
        verified,
        [office],
        date(2027, 1, 1),
        date(2028, 1, 1),
        annual_fee_cents=500_000,
    )

    assert allocation_annual_value_cents(allocation=allocation) == 0
    assert allocation_value_cents(allocation=allocation, year=2027) == 0


def test_allocation_value_stops_at_an_early_termination(
    facilities_manager, verified, office, time_machine
):
    time_machine.move_to(datetime(2027, 1, 4, 9, tzinfo=ZoneInfo("Europe/Paris")), tick=False)
    occupant = MembershipFactory(organisation=verified).user
    allocation = _offer(facilities_manager, verified, [office], date(2027, 7, 1), date(2028, 7, 1))
    allocation_accept(
        allocation=allocation,
        actor=occupant,
        house_rules_accepted=True,
        insurance_valid_until=date(2028, 6, 30),
    )
    allocation_sign(allocation=allocation, actor=facilities_manager)

    allocation_end(
        allocation=allocation, actor=facilities_manager, reason="Départ", on=date(2027, 10, 1)
    )

    allocation.refresh_from_db()
    # 1 July → 30 September 2027: 92 days
    assert allocation_value_cents(allocation=allocation, year=2027) == round(240_000 * 92 / 365)
    assert allocation_value_cents(allocation=allocation, year=2028) == 0
