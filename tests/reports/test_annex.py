"""Budget annex of in-kind support per commune and year (CGCT L2313-1)."""

from datetime import date
from decimal import Decimal

from reports.selectors import budget_annex
from tests.factories import SiteFactory, agreement_signed
from tests.reports.conftest import office


def test_budget_annex_lists_only_the_communes_own_agreements(
    territory_admin, commune, other_site, structure, full_year_2025
):
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[office(other_site, name="Bureau du port")],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )

    annex = budget_annex(commune=commune, year=2025)

    assert [row.allocation for row in annex.rows] == [full_year_2025]


def test_budget_annex_includes_the_communes_premises_in_another_commune(
    territory_admin, commune, other_commune, structure
):
    """The commune grants what it owns, wherever the building stands."""
    elsewhere = SiteFactory(commune=other_commune, owner=commune.organisation, name="Gîte")
    allocation = agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[office(elsewhere)],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )

    [row] = budget_annex(commune=commune, year=2025).rows

    assert (row.allocation, row.insee_code) == (allocation, other_commune.insee_code)


def test_budget_annex_row_holds_the_share_of_the_year(
    territory_admin, commune, structure, denain_office
):
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[denain_office],
        start=date(2025, 7, 1),
        end=date(2026, 7, 1),
    )

    [row] = budget_annex(commune=commune, year=2026).rows

    assert (row.first_day, row.last_day, row.days) == (date(2026, 1, 1), date(2026, 6, 30), 181)
    assert row.value_cents == round(2_300_000 * 181 / 365)


def test_budget_annex_describes_beneficiary_and_premises(commune, full_year_2025, structure):
    [row] = budget_annex(commune=commune, year=2025).rows

    assert row.structure == structure
    assert row.premises == (
        "Les Grands Bureaux — Bureau 12 (12 rue Jean-Jaurès, "
        f"{row.allocation.spaces.get().site.postcode} Denain)"
    )


def test_budget_annex_leaves_out_agreements_paying_the_full_rental_value(
    territory_admin, commune, structure, denain_office
):
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[denain_office],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
        annual_fee_cents=2_400_000,
    )

    assert budget_annex(commune=commune, year=2025).rows == []


def test_budget_annex_keeps_an_agreement_whose_rental_value_is_missing(
    territory_admin, commune, structure, site
):
    unvalued = office(site, reference_rent=None)
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[unvalued],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )

    [row] = budget_annex(commune=commune, year=2025).rows

    assert (row.value_cents, row.missing_reference_rent) == (0, True)


def test_budget_annex_total_adds_the_rows(territory_admin, commune, structure, site):
    for n, rent in enumerate([Decimal("100"), Decimal("50")]):
        agreement_signed(
            actor=territory_admin,
            structure=structure,
            spaces=[office(site, name=f"Bureau {n}", reference_rent=rent)],
            start=date(2025, 1, 1),
            end=date(2026, 1, 1),
        )

    annex = budget_annex(commune=commune, year=2025)

    assert annex.total_cents == 1_000_000 + 500_000


def test_budget_annex_is_not_compulsory_below_3500_inhabitants(commune):
    commune.population = 3_499

    assert budget_annex(commune=commune, year=2025).compulsory is False


def test_budget_annex_is_compulsory_from_3500_inhabitants(commune):
    commune.population = 3_500

    assert budget_annex(commune=commune, year=2025).compulsory is True
