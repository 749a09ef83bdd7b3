"""Yearly aid per structure and granting body: in kind (agreements) plus cash, 23,000 € flag."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Organisation
from bookings.allocations import allocation_end
from reports.selectors import aid_grantors_for, yearly_aid
from tests.factories import CashSubsidyFactory, StructureFactory, agreement_signed
from tests.reports.conftest import office


def _aid(user, year):
    return yearly_aid(year=year, grantors=aid_grantors_for(user))


def test_yearly_aid_flags_a_full_year_of_free_office_exactly_at_23000(
    territory_admin, full_year_2025
):
    [row] = _aid(territory_admin, 2025)

    assert (row.in_kind_cents, row.cash_cents, row.total_cents) == (2_300_000, 0, 2_300_000)
    assert row.agreement_compulsory


def test_yearly_aid_adds_cash_to_in_kind_up_to_the_threshold(
    territory_admin, commune, structure, site
):
    small = office(site, surface_m2=Decimal("100"), reference_rent=Decimal("200"))
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[small],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )
    CashSubsidyFactory(
        structure=structure, granted_by=commune.organisation, year=2025, amount_cents=300_000
    )

    [row] = _aid(territory_admin, 2025)

    assert (row.in_kind_cents, row.cash_cents, row.total_cents) == (2_000_000, 300_000, 2_300_000)
    assert row.agreement_compulsory


def test_yearly_aid_one_cent_below_the_threshold_is_not_flagged(
    territory_admin, commune, structure, site
):
    small = office(site, surface_m2=Decimal("100"), reference_rent=Decimal("200"))
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[small],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )
    CashSubsidyFactory(
        structure=structure, granted_by=commune.organisation, year=2025, amount_cents=299_999
    )

    [row] = _aid(territory_admin, 2025)

    assert row.total_cents == 2_299_999
    assert not row.agreement_compulsory


def test_yearly_aid_counts_the_share_of_each_calendar_year(
    territory_admin, structure, denain_office
):
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[denain_office],
        start=date(2025, 7, 1),
        end=date(2026, 7, 1),
    )

    [row_2025] = _aid(territory_admin, 2025)
    [row_2026] = _aid(territory_admin, 2026)

    assert row_2025.in_kind_cents == round(2_300_000 * 184 / 365)  # 1 July – 31 December
    assert row_2026.in_kind_cents == round(2_300_000 * 181 / 365)  # 1 January – 30 June
    assert not row_2025.agreement_compulsory


def test_yearly_aid_stops_at_an_early_termination(territory_admin, commune_staff, full_year_2025):
    allocation_end(
        allocation=full_year_2025, actor=commune_staff, reason="Départ", on=date(2025, 4, 1)
    )

    [row] = _aid(territory_admin, 2025)

    assert row.in_kind_cents == round(2_300_000 * 90 / 365)  # January to March


def test_yearly_aid_leaves_out_offers_not_signed(
    territory_admin, commune_staff, structure, denain_office
):
    from bookings.allocations import allocation_offer
    from bookings.models import FreeUseBasis

    allocation_offer(
        actor=commune_staff,
        structure=structure,
        spaces=[denain_office],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
        free_use_basis=FreeUseBasis.L2125_1,
        direct_reason="Test.",
    )

    assert _aid(territory_admin, 2025) == []


def test_yearly_aid_is_per_granting_body(
    territory_admin, commune, other_commune, structure, full_year_2025
):
    CashSubsidyFactory(
        structure=structure, granted_by=other_commune.organisation, year=2025, amount_cents=500_000
    )

    rows = {row.grantor.pk: row for row in _aid(territory_admin, 2025)}

    assert rows[commune.organisation.pk].total_cents == 2_300_000
    assert rows[other_commune.organisation.pk].total_cents == 500_000
    assert not rows[other_commune.organisation.pk].agreement_compulsory


def test_yearly_aid_of_commune_staff_shows_only_their_commune(
    commune_staff, other_commune, structure, full_year_2025
):
    CashSubsidyFactory(
        structure=structure, granted_by=other_commune.organisation, year=2025, amount_cents=500_000
    )

    rows = _aid(commune_staff, 2025)

    assert [row.grantor.name for row in rows] == [full_year_2025.owner.name]


def test_yearly_aid_reads_a_fixed_number_of_queries(
    territory_admin, site, commune, django_assert_max_num_queries
):
    for n in range(6):
        structure = StructureFactory(
            verified_at=territory_admin.date_joined, verified_by=territory_admin
        )
        agreement_signed(
            actor=territory_admin,
            structure=structure,
            spaces=[office(site, name=f"Bureau {n}")],
            start=date(2025, 1, 1),
            end=date(2026, 1, 1),
        )
        CashSubsidyFactory(structure=structure, granted_by=commune.organisation, year=2025)
    CashSubsidyFactory(structure=StructureFactory(), granted_by=commune.organisation, year=2025)
    grantors = Organisation.objects.exclude(kind="ess")

    with django_assert_max_num_queries(5):  # agreements (2), bookings (1 when none), cash (2)
        rows = yearly_aid(year=2025, grantors=grantors)

    assert len(rows) == 7


@pytest.mark.parametrize("year", [2024, 2026])
def test_yearly_aid_is_empty_outside_the_agreement(territory_admin, full_year_2025, year):
    assert _aid(territory_admin, year) == []
