"""The report files the pages and the API give alike: the CSV tables of aid and of a budget
annex, the valuation certificate as a PDF and a CSV, and the SCDL subsidies file. Each function
takes objects already fetched through their permission queryset (reports.selectors): it renders,
it does not decide."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation
from core.pdf import render_pdf
from reports import rules, selectors
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
    "nature",
    "origine",
    "reference",
    "heures",
]

# What a line of in-kind aid comes from, in the CSV files (`origine`).
ORIGINS = {"agreement": "convention", "booking": "reservation"}


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


def _reference(line: selectors.AidLine) -> str:
    """CONV-<agreement> or RES-<booking>: the references of the public-accounting export."""
    return f"CONV-{line.source_pk}" if line.kind == "agreement" else f"RES-{line.source_pk}"


def _hours(line: selectors.AidLine) -> Decimal | str:
    return line.hours if line.kind == "booking" else ""


def annex_csv_table(annex: selectors.BudgetAnnex) -> CsvTable:
    """(filename, header, rows) of a commune's budget annex: support in kind (agreements and
    hourly bookings), then cash subsidies."""
    year = annex.year
    commune = annex.commune
    rows: list[list[object]] = [
        [
            year,
            commune.insee_code,
            commune.name,
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
            rules.IN_KIND,
            ORIGINS[row.kind],
            _reference(row),
            _hours(row),
        ]
        for row in annex.rows
    ]
    rows += [
        [
            year,
            commune.insee_code,
            commune.name,
            subsidy.structure.name,
            subsidy.structure.siret,
            subsidy.structure.rna,
            "",
            "",
            "",
            "",
            "",
            cents_to_decimal(subsidy.amount_cents),
            False,
            rules.IN_CASH,
            "subvention",
            subsidy.decision_reference or subsidy.label,
            "",
        ]
        for subsidy in annex.cash
    ]
    return f"{commune.insee_code}_{year}_concours_en_nature.csv", ANNEX_HEADER, rows


CERTIFICATE_HEADER = [
    "exercice",
    "beneficiaire",
    "siret",
    "rna",
    "collectivite",
    "siret_collectivite",
    "origine",
    "reference",
    "locaux",
    "date_debut",
    "date_fin",
    "jours",
    "heures",
    "valorisation_eur",
    "valeur_reference_manquante",
    "compte_emploi",
    "compte_ressource",
]


def certificate_csv_table(*, structure: Organisation, year: int) -> CsvTable:
    """(filename, header, rows) of the valuation certificate: the same lines as the PDF, to
    book in accounts 861 (uses) and 871 (resources)."""
    certificate = selectors.valuation_certificate(structure=structure, year=year)
    rows = [
        [
            year,
            structure.name,
            structure.siret,
            structure.rna,
            row.grantor.name,
            row.grantor.siret,
            ORIGINS[row.kind],
            _reference(row),
            row.premises,
            row.first_day,
            row.last_day,
            row.days,
            _hours(row),
            cents_to_decimal(row.value_cents),
            row.missing_reference_rent,
            "861",
            "871",
        ]
        for row in certificate.rows
    ]
    return f"attestation_valorisation_{structure.pk}_{year}.csv", CERTIFICATE_HEADER, rows


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


# --- Open data: SCDL "subventions" 2.1.1 ---

# The Table Schema published by OpenDataFrance (scdl/subventions v2.1.1), vendored: the tests
# validate the file against it offline.
SCDL_SUBSIDIES_SCHEMA = Path(__file__).resolve().parent / "schemas" / "scdl-subventions-2.1.1.json"
SCDL_SUBSIDIES_HEADER = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]
OBJECT_MAX_LENGTH = 256  # the schema's maxLength of `objet`
IN_KIND_OBJECT = "Mise à disposition de locaux (valorisation)"


def scdl_filename(*, siren: str, year: int) -> str:
    """<SIREN>_<year>_subventions.csv, the OpenDataFrance naming."""
    return f"{siren}_{year}_subventions.csv"


def _scdl_row(year: int, item: selectors.OpenDataSubsidy) -> list[object]:
    aid, cash = item.aid, item.cash
    grantor = aid.grantor
    purposes = [IN_KIND_OBJECT] if aid.in_kind_cents else []
    purposes += [subsidy.label for subsidy in cash]
    references = aid.decision_references + [
        subsidy.decision_reference for subsidy in cash if subsidy.decision_reference
    ]
    # The date of the decision is not recorded: the first day of the aid within the year (the
    # first day of use of premises, else the day the first cash subsidy was recorded).
    cash_days = [timezone.localdate(subsidy.entered_at) for subsidy in cash]
    first_day = min([day for day in [aid.first_day, *cash_days] if day is not None])
    if aid.in_kind_cents and not aid.cash_cents:
        period = f"{aid.first_day.isoformat()}/{aid.last_day.isoformat()}"
    else:
        period = f"{date(year, 1, 1).isoformat()}/{date(year, 12, 31).isoformat()}"
    return [
        grantor.name,
        grantor.siret,
        first_day,
        "; ".join(dict.fromkeys(references)),
        aid.structure.name,
        aid.structure.siret,
        aid.structure.rna,
        " ; ".join(purposes)[:OBJECT_MAX_LENGTH],
        cents_to_decimal(aid.total_cents),
        aid.scdl_nature,
        "unique" if not aid.in_kind_cents else "autre",
        period,
        "",
        False,  # no aid notified to the European Commission is recorded: "non"
        Decimal("1.00"),  # one beneficiary per row
        "",
    ]


def scdl_subsidies_table(*, siren: str, year: int) -> CsvTable:
    """(filename, header, rows) of the SCDL subsidies file of the public body `siren` for
    `year`: its aid of 23,000 € or more per structure (décret 2017-779, arrêté du 17 novembre
    2017). One row per structure and establishment of that body, in cash and in kind."""
    grantors = selectors.subsidy_publishers(siren)
    rows = [
        _scdl_row(year, item)
        for item in selectors.open_data_subsidies(grantors=grantors, year=year)
    ]
    return scdl_filename(siren=siren, year=year), SCDL_SUBSIDIES_HEADER, rows
