"""CSV exports open in spreadsheets with their codes intact (DOMAIN.md §5.3)."""

import codecs
import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from stdnum import luhn

from tests.factories import CommuneFactory, SiteFactory, agreement_signed
from tests.reports.conftest import office


def _siret_starting_with_zeros() -> str:
    siren = "00012345" + luhn.calc_check_digit("00012345")
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def ain_commune(epci):
    """A commune whose INSEE code starts with zeros (Ain), as a spreadsheet would mangle it."""
    return CommuneFactory(insee_code="01053", name="Bourg-en-Bresse", epci=epci, population=41_000)


@pytest.fixture
def ain_annex(territory_admin, ain_commune, structure):
    structure.siret = _siret_starting_with_zeros()
    structure.siren = structure.siret[:9]
    structure.save()
    site = SiteFactory(commune=ain_commune, name="Maison de l'ESS")
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[office(site, name="Bureau A")],
        start=date(2025, 3, 1),
        end=date(2027, 3, 1),
    )
    return ain_commune


def test_annex_csv_starts_with_a_byte_order_mark(client, territory_admin, ain_annex):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:annex-csv", args=["01053", 2025]))

    assert response.content.startswith(codecs.BOM_UTF8)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="01053_2025_concours_en_nature.csv"' in response["Content-Disposition"]


def test_annex_csv_keeps_codes_as_text(client, territory_admin, ain_annex, structure):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:annex-csv", args=["01053", 2025]))

    [row] = _rows(response.content)
    assert row["code_insee_collectivite"] == "01053"
    assert row["code_insee_locaux"] == "01053"
    assert row["siret"] == structure.siret
    assert row["siret"].startswith("000")
    assert row["rna"] == "W595000123"


def test_annex_csv_quotes_codes_and_leaves_amounts_bare(client, territory_admin, ain_annex):
    client.force_login(territory_admin)

    text = client.get(reverse("reports:annex-csv", args=["01053", 2025])).content.decode(
        "utf-8-sig"
    )

    data_line = text.split("\r\n")[1]
    assert data_line.startswith('2025;"01053";"Bourg-en-Bresse";')
    assert ";19282.19;" in data_line  # 306 days of 23,000 €: a dot, no quotes, no apostrophe
    assert "'" not in data_line.replace("Maison de l'ESS", "")


def test_annex_csv_writes_iso_dates_and_the_years_share(client, territory_admin, ain_annex):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:annex-csv", args=["01053", 2025]))

    [row] = _rows(response.content)
    assert (row["date_debut"], row["date_fin"], row["jours"]) == (
        "2025-03-01",
        "2025-12-31",
        "306",
    )
    assert row["valorisation_eur"] == f"{round(2_300_000 * 306 / 365) / 100:.2f}"


def test_aid_csv_flags_the_threshold(client, territory_admin, full_year_2025, structure):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:aid-csv") + "?annee=2025")

    [row] = _rows(response.content)
    assert row["siret"] == structure.siret
    assert (row["aide_en_nature_eur"], row["total_eur"]) == ("23000.00", "23000.00")
    assert row["convention_obligatoire"] == "oui"


# --- Formula injection (issue 9 §2): names users type are made inert, codes and amounts kept ---

HOSTILE_NAMES = ["=1+1", '=HYPERLINK("http://x","y")', "@SUM(A1)"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_aid_csv_neutralises_formulas_in_names(
    client, territory_admin, full_year_2025, structure, name
):
    structure.name = name
    structure.save()
    full_year_2025.owner.name = name
    full_year_2025.owner.save()
    client.force_login(territory_admin)

    response = client.get(reverse("reports:aid-csv") + "?annee=2025")

    [row] = _rows(response.content)
    assert (row["beneficiaire"], row["organisme_attributaire"]) == ("'" + name, "'" + name)
    assert row["siret"] == structure.siret
    assert row["total_eur"] == "23000.00"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_annex_csv_neutralises_formulas_in_names(
    client, territory_admin, ain_annex, structure, name
):
    structure.name = name
    structure.save()
    ain_annex.name = name
    ain_annex.save()
    ain_annex.sites.update(name=name)
    client.force_login(territory_admin)

    response = client.get(reverse("reports:annex-csv", args=["01053", 2025]))

    [row] = _rows(response.content)
    assert (row["beneficiaire"], row["collectivite"]) == ("'" + name, "'" + name)
    assert row["locaux"].startswith("'" + name)
    assert (row["code_insee_collectivite"], row["siret"]) == ("01053", structure.siret)
