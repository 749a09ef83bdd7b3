"""The open-data files: the premises inventory as SCDL équipements (validated against the
vendored Table Schema with frictionless, offline), its XLSX, the GeoJSON of the sites, their
stable URLs with caching headers, and the public index page."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from frictionless import Resource, Schema, formats
from openpyxl import load_workbook
from stdnum import luhn

from accounts.models import OrganisationKind
from core.exports import XLSX_MEDIA_TYPE
from reports import opendata
from spaces.models import SiteStatus
from tests.factories import (
    CashSubsidyFactory,
    CommuneFactory,
    OrganisationFactory,
    SiteFactory,
    SpaceFactory,
    StructureFactory,
)

EQUIPEMENTS_CSV = reverse("opendata:file", args=["equipements.csv"])
EQUIPEMENTS_XLSX = reverse("opendata:file", args=["equipements.xlsx"])
SITES_GEOJSON = reverse("opendata:file", args=["sites.geojson"])
FORMULA_NAME = '=HYPERLINK("http://x","y")'


@pytest.fixture
def territory(epci, commune, site, space):
    """Published sites of every shape the file must carry, and the ones it must leave out."""
    epci.siret = "20004219000016"
    epci.save()
    ain = CommuneFactory(insee_code="01053", name="Bourg-en-Bresse", epci=epci)
    ain.organisation.siret = "21010053000019"
    ain.organisation.save()
    SpaceFactory(site=site, name="Bureau 2", surface_m2=Decimal("12.5"))
    site.erp_types, site.erp_category = ["L", "W"], 5
    site.save()
    lieu_dit = SiteFactory(
        commune=ain,
        name=FORMULA_NAME,
        street_number=None,
        street_name="Lieu-dit Les Vennes",
        postcode="01000",
        latitude=Decimal("46.205100"),
        longitude=Decimal("5.225700"),
        is_erp=False,
    )
    SpaceFactory(site=lieu_dit, name="Atelier")
    numbered = SiteFactory(commune=commune, name="Maison Kennedy", street_number_suffix="bis")
    hidden = {
        "unpublished": SiteFactory(commune=commune, name="Caché", is_published=False),
        "closed": SiteFactory(commune=commune, name="Fermé", status=SiteStatus.CLOSED),
        "nowhere": SiteFactory(commune=commune, name="Sans position", latitude=None),
    }
    return {"site": site, "lieu_dit": lieu_dit, "numbered": numbered, "hidden": hidden}


def _schema() -> Schema:
    """The vendored schema, read as a descriptor (frictionless refuses absolute paths)."""
    return Schema.from_descriptor(
        json.loads((opendata.SCHEMAS_DIR / "scdl-equipements.json").read_text())
    )


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8")), delimiter=","))


def test_the_equipements_csv_is_valid_against_the_scdl_schema(client, territory):
    content = client.get(EQUIPEMENTS_CSV).content
    schema = _schema()

    resource = Resource(
        data=content,
        format="csv",
        encoding="utf-8",
        schema=schema,
        control=formats.CsvControl(delimiter=","),
    )
    report = resource.validate()

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 3


def test_the_validation_catches_a_row_the_schema_refuses(territory):
    """The check is real: a row without its required SIRET and with a latitude of 95 fails."""
    header, rows = opendata.equipements_table()
    rows[0][header.index("COLL_SIRET")] = ""
    rows[0][header.index("EQUIP_LAT")] = 95
    content = opendata.csv_text(header, rows, delimiter=",", bom=False).encode()
    schema = _schema()

    report = Resource(
        data=content, format="csv", schema=schema, control=formats.CsvControl(delimiter=",")
    ).validate()

    assert sorted(report.flatten(["fieldName", "type"])) == [
        ["COLL_SIRET", "constraint-error"],
        ["EQUIP_LAT", "constraint-error"],
    ]


def test_the_equipements_csv_follows_the_scdl_dialect_and_keeps_codes(client, territory):
    content = client.get(EQUIPEMENTS_CSV).content

    assert not content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8").splitlines()[0].startswith('"COLL_NOM","COLL_SIRET",')
    by_name = {row["EQUIP_NOM"]: row for row in _csv_rows(content)}
    lieu_dit = by_name["'" + FORMULA_NAME]  # made inert, as in every CSV of the platform
    assert lieu_dit["EQUIP_UID"] == f"01053-LC{territory['lieu_dit'].pk:06d}"
    assert (lieu_dit["ADR_CODEPOSTAL"], lieu_dit["ADR_NUMERO"]) == ("01000", "s/n")
    assert (lieu_dit["COLL_SIRET"], lieu_dit["ERP_TYPE"], lieu_dit["ERP_CATEGORIE"]) == (
        "21010053000019",
        "",
        "",
    )
    assert by_name["Maison Kennedy"]["ADR_NUMERO"] == "12 bis"
    denain = by_name["Les Grands Bureaux"]
    assert (denain["ERP_TYPE"], denain["ERP_CATEGORIE"]) == ("L", "5")
    assert (denain["EQUIP_LAT"], denain["EQUIP_LONG"]) == ("50.328900", "3.395600")
    assert denain["EQUIP_WEB"].endswith(territory["site"].get_absolute_url())


def test_an_owner_without_siret_is_replaced_by_the_publishing_intercommunality(
    client, territory, epci
):
    """Denain's organisation has no SIRET in the fixtures: the row names the EPCI."""
    rows = {row["EQUIP_NOM"]: row for row in _csv_rows(client.get(EQUIPEMENTS_CSV).content)}

    assert (rows["Les Grands Bureaux"]["COLL_NOM"], rows["Les Grands Bureaux"]["COLL_SIRET"]) == (
        epci.name,
        "20004219000016",
    )


def test_unpublished_closed_and_unplaced_sites_are_in_no_file(client, territory):
    csv_text = client.get(EQUIPEMENTS_CSV).content.decode()
    geojson = client.get(SITES_GEOJSON).content.decode()
    sheet = load_workbook(io.BytesIO(client.get(EQUIPEMENTS_XLSX).content)).active
    xlsx_names = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]

    for hidden in territory["hidden"].values():
        assert hidden.name not in csv_text
        assert hidden.name not in geojson
        assert hidden.name not in xlsx_names
    assert len(xlsx_names) == 3


def test_the_equipement_uid_does_not_change_when_the_site_does(client, territory):
    site = territory["site"]
    before = {
        row["EQUIP_NOM"]: row["EQUIP_UID"] for row in _csv_rows(client.get(EQUIPEMENTS_CSV).content)
    }
    site.name, site.street_name = "Les Grands Bureaux rénovés", "rue Victor-Hugo"
    site.save()

    after = {
        row["EQUIP_NOM"]: row["EQUIP_UID"] for row in _csv_rows(client.get(EQUIPEMENTS_CSV).content)
    }

    assert (
        after["Les Grands Bureaux rénovés"]
        == before["Les Grands Bureaux"]
        == (f"59172-LC{site.pk:06d}")
    )


def test_the_equipements_xlsx_has_text_codes_numbers_and_the_formula_as_text(client, territory):
    sheet = load_workbook(io.BytesIO(client.get(EQUIPEMENTS_XLSX).content)).active
    header = [cell.value for cell in sheet[1]]
    rows = {row[header.index("EQUIP_NOM")].value: row for row in sheet.iter_rows(min_row=2)}

    lieu_dit = rows[FORMULA_NAME]  # the literal text, in a text cell, no apostrophe
    postcode, latitude = (
        lieu_dit[header.index("ADR_CODEPOSTAL")],
        lieu_dit[header.index("EQUIP_LAT")],
    )
    assert (lieu_dit[header.index("EQUIP_NOM")].data_type, postcode.value, postcode.data_type) == (
        "s",
        "01000",
        "s",
    )
    assert (latitude.value, latitude.data_type) == (46.2051, "n")
    assert header == opendata.EQUIPEMENTS_HEADER


def test_the_geojson_is_rfc_7946_with_longitude_first(client, territory):
    response = client.get(SITES_GEOJSON)

    collection = json.loads(response.content)
    assert response["Content-Type"] == "application/geo+json"
    assert collection["type"] == "FeatureCollection"
    features = {feature["properties"]["nom"]: feature for feature in collection["features"]}
    assert len(features) == 3
    lieu_dit = features[FORMULA_NAME]
    assert lieu_dit["geometry"] == {"type": "Point", "coordinates": [5.2257, 46.2051]}
    assert lieu_dit["properties"]["code_insee"] == "01053"  # text: the leading zero kept
    assert lieu_dit["properties"]["code_postal"] == "01000"
    denain = features["Les Grands Bureaux"]["properties"]
    assert (denain["nombre_espaces"], denain["surface_m2"]) == (2, 52.5)
    assert denain["url"].endswith(territory["site"].get_absolute_url())
    for feature in collection["features"]:
        longitude, latitude = feature["geometry"]["coordinates"]
        assert -180 <= longitude <= 180
        assert -90 <= latitude <= 90
        assert feature["id"] == feature["properties"]["uid"]


def test_the_files_are_public_attachments_named_after_the_collectivity(client, territory):
    csv_response = client.get(EQUIPEMENTS_CSV)
    xlsx = client.get(EQUIPEMENTS_XLSX)

    assert csv_response.status_code == 200
    slug = "communaute-dagglomeration-de-la-porte-du-hainaut"
    assert csv_response["Content-Disposition"] == f'attachment; filename="equipements_{slug}.csv"'
    assert xlsx["Content-Disposition"] == f'attachment; filename="equipements_{slug}.xlsx"'
    assert csv_response["Cache-Control"] == "public, max-age=3600"
    assert csv_response["Last-Modified"]


def test_a_harvester_asking_again_with_the_etag_gets_304(client, territory):
    first = client.get(EQUIPEMENTS_CSV)

    again = client.get(EQUIPEMENTS_CSV, headers={"if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_change_to_a_published_site_changes_the_etag(client, territory):
    first = client.get(EQUIPEMENTS_CSV)
    territory["hidden"]["unpublished"].is_published = True
    territory["hidden"]["unpublished"].save()

    again = client.get(EQUIPEMENTS_CSV, headers={"if-none-match": first["ETag"]})

    assert again.status_code == 200
    assert "Caché" in again.content.decode()


@pytest.mark.parametrize("slug", ["equipements.json", "..%2Fsettings.py", "sites.geojson.bak"])
def test_an_unknown_file_is_a_404(client, slug):
    assert client.get(f"/donnees/{slug}").status_code == 404


def test_the_vendored_schema_is_served_and_nothing_else(client, db):
    schema = client.get(reverse("opendata:schema", args=["scdl-equipements.json"]))

    assert json.loads(b"".join(schema.streaming_content))["name"] == "scdl-equipements"
    assert client.get("/donnees/schemas/__init__.py").status_code == 404


def test_the_index_lists_every_file_with_url_schema_and_licence_without_login(client, territory):
    response = client.get(reverse("opendata:index"))

    text = response.content.decode()
    assert response.status_code == 200
    for entry in opendata.OPEN_DATA_FILES:
        if entry.editions is None:  # a family lists its files (below)
            assert f"http://testserver/donnees/{entry.slug}" in text
    assert opendata.LICENCE_URL in text
    assert opendata.EQUIPEMENTS_SCHEMA_URL in text
    assert reverse("opendata:schema", args=["scdl-equipements.json"]) in text
    assert '<th scope="col">' in text
    assert "<caption" in text


def test_every_page_links_the_index_in_its_footer(client, db):
    assert (
        f'href="{reverse("opendata:index")}"' in client.get(reverse("portal:home")).content.decode()
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [EQUIPEMENTS_CSV, EQUIPEMENTS_XLSX, SITES_GEOJSON])
def test_the_files_read_in_the_same_queries_with_more_sites_and_spaces(client, territory, url):
    client.get(url)  # warm-up
    few = _queries(client, url)
    for number in range(10):
        extra = SiteFactory(commune=territory["site"].commune, name=f"Site {number}")
        for _ in range(3):
            SpaceFactory(site=extra)

    many = _queries(client, url)

    assert many == few <= 6


def test_a_file_added_to_the_registry_is_listed_and_served(client, territory, monkeypatch):
    """Adding a file (the subsidies of the aid part) is one entry: listed, served, or linked
    where a view of its own serves it."""
    extra = [
        opendata.OpenDataFile(
            slug="essai.csv",
            title="Essai",
            format="CSV",
            media_type="text/csv; charset=utf-8",
            build=lambda: b'"a"\r\n"1"\r\n',
            download_name=lambda: "essai_territoire.csv",
            last_modified=opendata.inventory_last_modified,
        ),
        opendata.OpenDataFile(
            slug="ailleurs.csv",
            title="Ailleurs",
            format="CSV",
            media_type="text/csv; charset=utf-8",
            build=lambda: b"",
            download_name=lambda: "ailleurs.csv",
            last_modified=lambda: None,
            url_name="reports:aid-list",
        ),
    ]
    monkeypatch.setattr(opendata, "OPEN_DATA_FILES", [*opendata.OPEN_DATA_FILES, *extra])

    index = client.get(reverse("opendata:index")).content.decode()
    served = client.get("/donnees/essai.csv")

    assert "http://testserver/donnees/essai.csv" in index
    assert f"http://testserver{reverse('reports:aid-list')}" in index
    assert served["Content-Disposition"] == 'attachment; filename="essai_territoire.csv"'
    assert client.get("/donnees/ailleurs.csv").status_code == 404


def _publisher(number: int, *, aid_years: list[int]):
    """A public body with a SIRET (Luhn keys) and a cash subsidy in each of `aid_years`."""
    siren = f"29{number:06d}"
    siren += luhn.calc_check_digit(siren)
    siret = siren + "0001" + luhn.calc_check_digit(siren + "0001")
    publisher = OrganisationFactory(
        kind=OrganisationKind.COMMUNE, name=f"Commune {number}", siren=siren, siret=siret
    )
    for year in aid_years:
        CashSubsidyFactory(granted_by=publisher, year=year)
    return publisher


def test_the_index_lists_each_publishers_subsidies_files_for_the_years_with_aid(client, db):
    this_year = timezone.localdate().year
    publisher = _publisher(1, aid_years=[this_year - 2, this_year + 1])
    StructureFactory(siret="84123456000016")  # a structure's SIRET publishes nothing

    text = client.get(reverse("opendata:index")).content.decode()

    siren = publisher.siret[:9]
    links = re.findall(r'href="http://testserver/donnees/subventions/([0-9/]+)\.csv', text)
    # The current year (its file fills as the year goes) and an earlier year with aid; not the
    # year before it (no aid) nor a future one.
    assert sorted(set(links)) == [f"{siren}/{this_year - 2}", f"{siren}/{this_year}"]
    for year in (this_year, this_year - 2):
        url = f"http://testserver/donnees/subventions/{siren}/{year}.csv"
        assert f'href="{url}"' in text
        assert f'href="{url}?format=xlsx"' in text
    assert reverse("opendata:schema", args=["scdl-subventions-2.1.1.json"]) in text
    assert opendata.SUBSIDIES_SCHEMA_URL in text
    schema = client.get(reverse("opendata:schema", args=["scdl-subventions-2.1.1.json"]))
    assert json.loads(b"".join(schema.streaming_content))["name"] == "subventions"
    xlsx = client.get(f"/donnees/subventions/{siren}/{this_year}.csv?format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == XLSX_MEDIA_TYPE


def test_the_index_reads_the_same_queries_for_one_and_five_publishers(client, db):
    this_year = timezone.localdate().year
    _publisher(1, aid_years=[this_year - 1])
    url = reverse("opendata:index")
    client.get(url)  # warm-up
    one = _queries(client, url)
    for number in range(2, 6):
        _publisher(number, aid_years=[this_year - 1, this_year - 3])

    five = _queries(client, url)

    assert five == one
    assert client.get(url).content.decode().count("/donnees/subventions/") >= 5 * 2
