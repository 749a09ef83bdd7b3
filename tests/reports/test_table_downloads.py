"""Every table people download as CSV also answers as XLSX (`?format=xlsx`), with the same rows:
the pages' and the API's downloads, each asked by who may read it."""

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from bookings.services import booking_approve
from core.exports import XLSX_MEDIA_TYPE, text_cell
from payments.models import ChannelKind, PaymentChannel
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.tariffs import tariff_set
from tests.factories import MembershipFactory, UserFactory, booking_request_for

pytestmark = pytest.mark.usefixtures("frozen_clock")
PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[2]
FORMULA_NAME = '=HYPERLINK("http://x","y")'
SIRET = "00012345600017"


@pytest.fixture
def downloads(territory_admin, commune_staff, structure, site, full_year_2025, space):
    """Aid and an annex in 2025 for a structure named like a formula whose SIRET starts with
    zeros, and a billed booking of that structure in January 2027 (the clock's month)."""
    structure.name = FORMULA_NAME
    structure.siret, structure.siren = SIRET, SIRET[:9]
    structure.save()
    PaymentChannel.objects.create(
        owner=site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING, finance_department="Finances"
    )
    tariff_set(
        space=space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.HOUR,
        amount_cents=1500,
        actor=territory_admin,
    )
    member = MembershipFactory(organisation=structure, user=UserFactory()).user
    booking = booking_request_for(
        space=space,
        requested_by=member,
        start=datetime(2027, 1, 12, 18, tzinfo=PARIS),
        end=datetime(2027, 1, 12, 20, tzinfo=PARIS),
    )
    booking_approve(booking=booking, actor=territory_admin)
    insee = site.commune.insee_code
    return {
        "reports:aid-csv": (territory_admin, [], {"annee": 2025}),
        "reports:annex-csv": (territory_admin, [insee, 2025], {}),
        "reports:accounting-csv": (
            commune_staff,
            [site.owner.pk],
            {"debut": "2027-01-01", "fin": "2027-01-31"},
        ),
        "api:aid-csv": (territory_admin, [], {"year": 2025}),
        "api:annex-csv": (territory_admin, [insee], {"year": 2025}),
    }


def _csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _xlsx_rows(response) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _same_cell(written: str, typed: object) -> bool:
    """A CSV field and the XLSX cell of the same value."""
    if typed is None:
        return written == ""
    if isinstance(typed, int | float):
        return Decimal(written) == Decimal(str(typed))
    if isinstance(typed, datetime):
        return written == typed.date().isoformat()
    return written == text_cell(typed)  # the CSV's apostrophe before a formula-looking text


@pytest.mark.parametrize(
    "name",
    [
        "reports:aid-csv",
        "reports:annex-csv",
        "reports:accounting-csv",
        "api:aid-csv",
        "api:annex-csv",
    ],
)
def test_a_csv_download_answers_the_same_rows_as_xlsx(client, downloads, name):
    user, args, query = downloads[name]
    client.force_login(user)
    url = reverse(name, args=args)

    as_csv = client.get(url, query)
    as_xlsx = client.get(url, {**query, "format": "xlsx"})

    assert as_xlsx.status_code == 200
    assert as_xlsx["Content-Type"] == XLSX_MEDIA_TYPE
    assert re.search(r'filename="[^"]+\.xlsx"', as_xlsx["Content-Disposition"])
    written, typed = _csv_rows(as_csv), _xlsx_rows(as_xlsx)
    assert len(written) == len(typed) >= 2  # the header and at least one row
    assert all(
        len(line) == len(row) and all(map(_same_cell, line, row))
        for line, row in zip(written, typed, strict=True)
    ), (written, typed)


@pytest.mark.parametrize("name", ["reports:aid-csv", "api:aid-csv"])
def test_the_xlsx_keeps_the_formula_name_and_the_siret_as_text(client, downloads, name):
    user, args, query = downloads[name]
    client.force_login(user)

    sheet = load_workbook(
        io.BytesIO(client.get(reverse(name, args=args), {**query, "format": "xlsx"}).content)
    ).active

    header = [cell.value for cell in sheet[1]]
    row = sheet[2]
    name_cell, siret_cell = row[header.index("beneficiaire")], row[header.index("siret")]
    total_cell = row[header.index("total_eur")]
    assert (name_cell.value, name_cell.data_type) == (FORMULA_NAME, "s")
    assert (siret_cell.value, siret_cell.data_type) == (SIRET, "s")
    assert (total_cell.value, total_cell.data_type) == (23000, "n")


def test_an_outsider_gets_404_for_the_xlsx_too(client, downloads, outsider, site):
    client.force_login(outsider)

    response = client.get(
        reverse("reports:annex-csv", args=[site.commune.insee_code, 2025]), {"format": "xlsx"}
    )

    assert response.status_code == 404


def test_an_unknown_format_is_a_404_on_the_page_and_in_the_api(client, downloads):
    user, _args, _query = downloads["api:aid-csv"]
    client.force_login(user)

    page = client.get(reverse("reports:aid-csv"), {"annee": 2025, "format": "ods"})
    api = client.get(reverse("api:aid-csv"), {"year": 2025, "format": "ods"})

    assert (page.status_code, api.status_code) == (404, 404)
    assert api["Content-Type"] == "application/json"


def test_every_page_offers_the_xlsx_next_to_the_csv(client, downloads, territory_admin, site):
    client.force_login(territory_admin)
    insee = site.commune.insee_code

    pages = [
        client.get(reverse("reports:aid-list"), {"annee": 2025}),
        client.get(reverse("reports:annex", args=[insee, 2025])),
        client.get(reverse("reports:index"), {"annee": 2027}),
    ]

    for page in pages:
        text = page.content.decode()
        assert re.search(r'href="[^"]+/csv/\?[^"]*format=xlsx"', text), page.request
        assert "(XLSX)" in text


def test_no_download_answers_a_csv_without_its_xlsx():
    """Every view answers its table through core.exports.table_response (CSV and XLSX), none
    through csv_response alone."""
    callers = [
        path.relative_to(ROOT)
        for app in ("accounts", "spaces", "bookings", "calls", "payments", "reports", "api")
        for path in (ROOT / app).rglob("*.py")
        if "csv_response(" in path.read_text()
    ]

    assert callers == []
