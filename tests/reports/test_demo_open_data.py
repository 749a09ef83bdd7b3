"""The demo's own open data (after `seed_demo`): its SCDL équipements file and the SCDL
subsidies file of the intercommunality validate against the vendored schemas, and the aid report
flags the structure that received 23,000 € or more from one body (the integration workshop,
housed free by the intercommunality and using its rooms every week: portal/demo.py)."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from frictionless import Resource, Schema, formats

from accounts.models import Organisation, OrganisationKind, User
from portal import demo
from reports import opendata
from tests.helpers import response_bytes
from tests.reports.test_booking_aid import _scdl_report

pytestmark = pytest.mark.django_db
ACI = next(data["name"] for data in demo.STRUCTURES if data["key"] == "aci")


@pytest.fixture
def seeded(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(email="admin@demo.test")


def _flagged_year(client) -> int:
    """The year (this one or the last: the demo's history is the last 52 weeks) in which the
    intercommunality's aid report flags the integration workshop."""
    this_year = timezone.localdate().year
    for year in (this_year, this_year - 1):
        page = client.get(reverse("reports:aid-list"), {"annee": year})
        assert page.status_code == 200
        rows = [row for row in page.context["rows"] if row.structure.name == ACI]
        if rows and rows[0].agreement_compulsory:
            assert rows[0].total_cents >= 2_300_000
            assert rows[0].bookings_cents > 0  # the agreement and the weekly free slots
            return year
    raise AssertionError("no year of the demo flags the integration workshop")


def test_the_demos_equipements_csv_validates_with_every_siret(client, seeded):
    content = client.get(reverse("opendata:file", args=["equipements.csv"])).content
    schema = Schema.from_descriptor(
        json.loads((opendata.SCHEMAS_DIR / "scdl-equipements.json").read_text())
    )

    report = Resource(
        data=content,
        format="csv",
        schema=schema,
        control=formats.CsvControl(delimiter=","),
    ).validate()

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert len(rows) == len(demo.SITES)
    assert {row["COLL_SIRET"] for row in rows} == {
        demo.CAPH["siret"],
        *demo.COMMUNE_SIRETS.values(),
    }


def test_the_demos_publishers_are_the_intercommunality_and_its_communes_with_premises(seeded):
    publishers = Organisation.objects.exclude(kind=OrganisationKind.ESS).exclude(siret="")

    assert {organisation.siret for organisation in publishers} == {
        demo.CAPH["siret"],
        *demo.COMMUNE_SIRETS.values(),
    }


def test_the_demos_aid_report_flags_the_integration_workshop(client, seeded):
    client.force_login(seeded)

    year = _flagged_year(client)

    page = client.get(reverse("reports:aid-list"), {"annee": year}).content.decode()
    row = page[page.index(escape(ACI)) :]
    row = row[: row.index("</tr>")]
    assert "Oui" in row


def test_the_demos_subsidies_file_has_the_workshops_row_and_validates(client, seeded, tmp_path):
    client.force_login(seeded)
    year = _flagged_year(client)
    client.logout()  # open data: no login
    siren = demo.CAPH["siren"]

    response = client.get(reverse("subsidies:scdl-csv", args=[siren, year]))
    path = tmp_path / f"{siren}_{year}_subventions.csv"
    path.write_bytes(response_bytes(response))
    report = _scdl_report(path)

    assert response.status_code == 200
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] >= 1
    text = path.read_text(encoding="utf-8-sig")
    assert ACI in text
    assert demo.CAPH["siret"] in text
    # The index links that file, as CSV and as XLSX.
    index = client.get(reverse("opendata:index")).content.decode()
    url = f"http://testserver/donnees/subventions/{siren}/{year}.csv"
    assert f'href="{url}"' in index
    assert f'href="{url}?format=xlsx"' in index
