"""The report files the pages and the API give alike: the CSV tables of aid and of a budget
annex, and the valuation certificate as a PDF. Each function takes objects already fetched
through their permission queryset (reports.selectors): it renders, it does not decide."""

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation
from core.pdf import render_pdf
from reports import selectors
from reports.rules import cents_to_decimal

CsvTable = tuple[str, list[str], list[list[object]]]

AID_HEADER = [
    "exercice",
    "beneficiaire",
    "siret",
    "rna",
    "organisme_attributaire",
    "siret_attributaire",
    "aide_en_nature_eur",
    "subventions_numeraire_eur",
    "total_eur",
    "convention_obligatoire",
    "valeur_locative_manquante",
]

ANNEX_HEADER = [
    "exercice",
    "code_insee_collectivite",
    "collectivite",
    "beneficiaire",
    "siret",
    "rna",
    "locaux",
    "code_insee_locaux",
    "date_debut",
    "date_fin",
    "jours",
    "valorisation_eur",
    "valeur_locative_manquante",
]


def aid_csv_table(*, year: int, grantors: QuerySet[Organisation]) -> CsvTable:
    """(filename, header, rows) of the yearly aid granted by `grantors`."""
    rows = [
        [
            year,
            row.structure.name,
            row.structure.siret,
            row.structure.rna,
            row.grantor.name,
            row.grantor.siret,
            cents_to_decimal(row.in_kind_cents),
            cents_to_decimal(row.cash_cents),
            cents_to_decimal(row.total_cents),
            row.agreement_compulsory,
            row.missing_reference_rent,
        ]
        for row in selectors.yearly_aid(year=year, grantors=grantors)
    ]
    return f"aides_{year}.csv", AID_HEADER, rows


def annex_csv_table(annex: selectors.BudgetAnnex) -> CsvTable:
    """(filename, header, rows) of a commune's budget annex."""
    year = annex.year
    rows = [
        [
            year,
            annex.commune.insee_code,
            annex.commune.name,
            row.structure.name,
            row.structure.siret,
            row.structure.rna,
            row.premises,
            row.insee_code,
            row.first_day,
            row.last_day,
            row.days,
            cents_to_decimal(row.value_cents),
            row.missing_reference_rent,
        ]
        for row in annex.rows
    ]
    return f"{annex.commune.insee_code}_{year}_concours_en_nature.csv", ANNEX_HEADER, rows


def certificate_filename(*, structure: Organisation, year: int) -> str:
    return f"attestation_valorisation_{structure.pk}_{year}.pdf"


def certificate_pdf(*, structure: Organisation, year: int) -> bytes:
    """The yearly valuation certificate of a structure (contributions in kind, accounts 86/87)."""
    certificate = selectors.valuation_certificate(structure=structure, year=year)
    title = f"Attestation de valorisation — {structure.name} — exercice {year}"
    return render_pdf(
        "pdf/certificate.html",
        {"certificate": certificate, "issued_on": timezone.localdate()},
        title=title,
    )
