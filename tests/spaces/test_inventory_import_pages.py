"""The inventory import's pages (upload, dry run, confirmation, summary), the template and the
export, and the round trip on the demo territory."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from spaces.imports import COLUMNS, Outcome, inventory_read
from spaces.models import Site, Space
from spaces.services import inventory_import
from tests.spaces.test_inventory_import import csv_file, line

pytestmark = pytest.mark.django_db
URL = reverse("spaces:inventory-import")


def upload(client, file: io.BytesIO, name: str = "inventaire.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, file.getvalue())})


def test_the_dry_run_lists_each_line_and_writes_nothing(client, commune, commune_staff):
    client.force_login(commune_staff)

    response = upload(client, csv_file([line(), line(espace="B", surface_m2="")]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "La surface manque." in page
    assert '<th scope="row">3</th>' in page
    assert "Confirmer l’import" not in page
    assert not Space.objects.exists()


def test_confirming_a_clean_dry_run_imports_the_file_kept_on_the_server(
    client, commune, commune_staff
):
    client.force_login(commune_staff)
    response = upload(client, csv_file([line(), line(espace="Bureau 2")]))
    token = response.context["token"]
    assert not Space.objects.exists()

    done = client.post(reverse("spaces:inventory-import-confirm"), {"token": token})

    assert done.status_code == 200
    assert "2 espace(s) créé(s)" in done.content.decode()
    assert Space.objects.count() == 2


def test_a_confirmation_is_used_once(client, commune, commune_staff):
    client.force_login(commune_staff)
    token = upload(client, csv_file([line()])).context["token"]
    client.post(reverse("spaces:inventory-import-confirm"), {"token": token})

    again = client.post(reverse("spaces:inventory-import-confirm"), {"token": token})

    assert again.status_code == 409
    assert Space.objects.count() == 1


def test_another_session_cannot_confirm_someone_elses_import(
    client, commune, commune_staff, territory_admin
):
    client.force_login(commune_staff)
    token = upload(client, csv_file([line()])).context["token"]
    client.force_login(territory_admin)  # a new session

    response = client.post(reverse("spaces:inventory-import-confirm"), {"token": token})

    assert response.status_code == 409
    assert not Space.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.4\n", "inventaire.csv", "ni un fichier CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.csv", "ni un fichier CSV"),
        (b"PK\x03\x04\x14\x00", "inventaire.xlsx", "ni un fichier CSV"),
    ],
)
def test_a_hostile_file_gets_a_french_message_not_an_error_page(
    client, commune, commune_staff, content, name, message
):
    client.force_login(commune_staff)

    response = client.post(URL, {"file": SimpleUploadedFile(name, content)})

    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_body_over_the_upload_limit_is_refused_before_reading(client, commune, commune_staff):
    client.force_login(commune_staff)

    response = client.generic(
        "POST",
        URL,
        b"",
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )

    assert response.status_code == 413


@pytest.mark.parametrize("persona", ["member", "outsider", "facilities_manager"])
def test_who_may_not_import_gets_a_404(client, request, commune, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(URL).status_code == 404
    assert client.get(reverse("spaces:inventory-export", args=["csv"])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    assert client.get(URL).status_code == 302


def test_the_templates_hold_the_columns_and_an_example(client, commune, commune_staff):
    client.force_login(commune_staff)

    csv = client.get(reverse("spaces:inventory-template", args=["csv"]))
    xlsx = client.get(reverse("spaces:inventory-template", args=["xlsx"]))

    assert csv.content.decode("utf-8-sig").startswith('"identifiant";"code_insee";')
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert [cell.value for cell in next(sheet.iter_rows())] == COLUMNS


def test_the_dashboard_links_to_the_import(client, commune, commune_staff):
    client.force_login(commune_staff)

    assert URL in client.get(reverse("portal:dashboard")).content.decode()


# --- The round trip on the demo territory ---------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(email="admin@demo.test")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_demos_export_imports_back_unchanged(client, demo, fmt):
    client.force_login(demo)
    exported = client.get(reverse("spaces:inventory-export", args=[fmt])).content
    before = list(Space.objects.order_by("pk").values())

    plan = inventory_import(actor=demo, file=io.BytesIO(exported), dry_run=False)

    assert plan.lines
    assert {entry.outcome for entry in plan.lines} == {Outcome.UNCHANGED}, [
        entry.reasons for entry in plan.lines if entry.reasons
    ]
    assert list(Space.objects.order_by("pk").values()) == before


def test_one_surface_changed_in_the_demos_export_updates_one_space(client, demo):
    client.force_login(demo)
    exported = client.get(reverse("spaces:inventory-export", args=["csv"])).content
    table = inventory_read(io.BytesIO(exported))
    first = table.rows[0]
    first["surface_m2"] = "321.5"
    changed = csv_file(table.rows)

    plan = inventory_import(actor=demo, file=changed, dry_run=False)

    assert plan.counts[Outcome.UPDATED] == 1
    assert plan.counts[Outcome.UNCHANGED] == len(table.rows) - 1
    space = Space.objects.get(site__name=first["site"], name=first["espace"])
    assert space.surface_m2 == Decimal("321.50")


def test_a_communes_export_holds_only_its_premises(client, demo):
    staff = User.objects.get(email="commune@demo.test")
    client.force_login(staff)

    table = inventory_read(
        io.BytesIO(client.get(reverse("spaces:inventory-export", args=["csv"])).content)
    )

    assert table.rows
    assert {row["code_insee"] for row in table.rows} == {"59172"}
    assert len(table.rows) <= Site.objects.filter(commune_id="59172").count() * 50
