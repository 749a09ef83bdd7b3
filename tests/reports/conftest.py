"""Fixtures of the reports tests: a verified association in Denain's premises.

The office is worth 23,000 € a year (100 m² × 230 €/m²/year), so a free agreement over a whole
year reaches the threshold exactly.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from spaces.models import SpaceKind
from tests.factories import SpaceFactory, StructureFactory, agreement_signed


@pytest.fixture
def structure(territory_admin):
    """Overrides the shared persona: agreements need a verified structure."""
    return StructureFactory(
        name="Mobilité Solidaire",
        rna="W595000123",
        verified_at=timezone.now(),
        verified_by=territory_admin,
    )


def office(site, **fields):
    defaults = {
        "kind": SpaceKind.OFFICE,
        "surface_m2": Decimal("100"),
        "reference_rent": Decimal("230"),
        "allocatable": True,
        "bookable": False,
    }
    return SpaceFactory(site=site, **{**defaults, **fields})


@pytest.fixture
def denain_office(site):
    return office(site, name="Bureau 12")


@pytest.fixture
def full_year_2025(territory_admin, structure, denain_office):
    """A free agreement on the Denain office over the whole of 2025: 23,000.00 € of aid."""
    return agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[denain_office],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )
