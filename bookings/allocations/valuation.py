"""Valuation of the in-kind aid an agreement grants (the spaces' rental value minus the fee)."""

from bookings.models import Allocation
from bookings.rules import in_kind_value_cents, reference_rent_cents_per_year


def _rental_value_cents(allocation: Allocation) -> int:
    return sum(
        reference_rent_cents_per_year(
            rent_per_m2_year=space.reference_rent, surface_m2=space.surface_m2
        )
        for space in allocation.spaces.all()
        if space.reference_rent is not None
    )


def allocation_value_cents(*, allocation: Allocation, year: int) -> int:
    """In-kind aid of an agreement over a calendar year (spaces' rental value minus the fee)."""
    return in_kind_value_cents(
        reference_rent_cents_per_year=_rental_value_cents(allocation),
        annual_fee_cents=allocation.annual_fee_cents,
        start=allocation.start,
        end=allocation.terminated_on or allocation.end,
        year=year,
    )


def allocation_annual_value_cents(*, allocation: Allocation) -> int:
    """The yearly valuation printed in the agreement: a full year of rental value minus fee."""
    return max(0, _rental_value_cents(allocation) - allocation.annual_fee_cents)
