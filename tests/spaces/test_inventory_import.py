"""The inventory import (spaces.imports, spaces.services.inventory_import): reading CSV and XLSX
files, the line-by-line plan, all or nothing, permissions, hostile files, the command."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from core.exports import xlsx_bytes
from spaces.imports import (
    COLUMNS,
    EXAMPLE_LINE,
    MAX_FILE_BYTES,
    ImportRefused,
    Outcome,
    inventory_read,
)
from spaces.models import Site, Space
from spaces.services import inventory_import
from tests.factories import SpaceFactory

pytestmark = pytest.mark.django_db


def line(**values: str) -> dict[str, str]:
    """A line of the template for Denain (59172), overridden by `values`."""
    base = {
        "identifiant": "",
        "code_insee": "59172",
        "site": "Maison des associations",
        "numero": "12",
        "suffixe": "",
        "voie": "rue Jean-Jaurès",
        "complement_adresse": "",
        "code_postal": "59172",
        "latitude": "50.3289",
        "longitude": "3.3956",
        "erp_types": "L",
        "erp_categorie": "5",
        "espace": "Salle polyvalente",
        "type_espace": "hall",
        "etage": "0",
        "surface_m2": "120,5",
        "capacite": "80",
        "loyer_reference": "",
    }
    return {**base, **values}


def csv_file(
    lines: list[dict[str, str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    columns: list[str] = COLUMNS,
) -> io.BytesIO:
    text = delimiter.join(columns) + "\r\n"
    for values in lines:
        text += delimiter.join(f'"{values.get(column, "")}"' for column in columns) + "\r\n"
    return io.BytesIO(text.encode(encoding))


def run(actor, file, *, dry_run: bool = False):
    return inventory_import(actor=actor, file=file, dry_run=dry_run)


def outcomes(plan) -> list[str]:
    return [entry.outcome for entry in plan.lines]


def reasons(plan) -> str:
    return " | ".join(reason for entry in plan.lines for reason in entry.reasons)


# --- Reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8-sig"), (",", "utf-8"), (";", "cp1252"), (",", "utf-16")],
)
def test_inventory_read_accepts_bom_delimiters_and_old_excel_encodings(delimiter, encoding):
    table = inventory_read(
        csv_file([line(site="Salle Émile-Zola")], delimiter=delimiter, encoding=encoding)
    )

    assert table.rows[0]["site"] == "Salle Émile-Zola"
    assert table.rows[0]["surface_m2"] == "120,5"


def test_inventory_read_says_an_old_excel_file_was_read_as_windows_1252():
    table = inventory_read(csv_file([line(site="Château")], encoding="cp1252"))

    assert table.encoding == "windows-1252"
    assert "Windows-1252" in table.notes[0]


def test_inventory_read_refuses_bytes_no_encoding_reads():
    content = csv_file([line()]).getvalue() + b"\x81\x8d\xe9"

    with pytest.raises(ImportRefused, match="caractères du fichier"):
        inventory_read(io.BytesIO(content))


def test_inventory_read_reads_an_xlsx_workbook_with_codes_as_numbers():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    values = line()
    row = [values[column] for column in COLUMNS]
    row[COLUMNS.index("code_insee")] = 59172  # Excel turned the code into a number
    row[COLUMNS.index("capacite")] = 80.0
    sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)

    table = inventory_read(io.BytesIO(output.getvalue()))

    assert table.rows[0]["code_insee"] == "59172"
    assert table.rows[0]["capacite"] == "80"


def test_inventory_read_keeps_an_xlsx_formula_as_text():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    values = line()
    row = [values[column] for column in COLUMNS]
    row[COLUMNS.index("espace")] = '=HYPERLINK("http://evil.test","x")'
    sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)

    table = inventory_read(io.BytesIO(output.getvalue()))

    assert table.rows[0]["espace"].startswith("=HYPERLINK(")


def test_inventory_read_accepts_scdl_equipements_columns():
    columns = [
        "COLL_NOM",
        "EQUIP_UID",
        "EQUIP_NOM",
        "ADR_NUMERO",
        "ADR_NOMVOIE",
        "ADR_CODEPOSTAL",
        "ADR_COMMUNE",
        "ADR_CLE_INTEROP",
        "EQUIP_LAT",
        "EQUIP_LONG",
        "ERP_TYPE",
        "ERP_CATEGORIE",
        "surface_m2",
        "capacite",
    ]
    values = {
        "COLL_NOM": "Denain",
        "EQUIP_UID": "EQ-7",
        "EQUIP_NOM": "Salle des fêtes",
        "ADR_NUMERO": "3",
        "ADR_NOMVOIE": "place Wilson",
        "ADR_CODEPOSTAL": "59172",
        "ADR_COMMUNE": "Denain",
        "ADR_CLE_INTEROP": "59172_1234_00003",
        "EQUIP_LAT": "50.33",
        "EQUIP_LONG": "3.39",
        "ERP_TYPE": "L",
        "ERP_CATEGORIE": "3",
        "surface_m2": "300",
        "capacite": "250",
    }

    table = inventory_read(csv_file([values], columns=columns))

    assert table.rows[0]["code_insee"] == "59172"
    assert table.rows[0]["identifiant"] == "EQ-7"
    assert table.rows[0]["site"] == table.rows[0]["espace"] == "Salle des fêtes"


def test_an_scdl_file_imports_one_space_per_equipment(commune, commune_staff):
    columns = ["EQUIP_UID", "EQUIP_NOM", "ADR_NOMVOIE", "ADR_CODEPOSTAL", "ADR_CLE_INTEROP"]
    columns += ["surface_m2", "capacite"]
    values = {
        "EQUIP_UID": "EQ-7",
        "EQUIP_NOM": "Salle des fêtes",
        "ADR_NOMVOIE": "place Wilson",
        "ADR_CODEPOSTAL": "59172",
        "ADR_CLE_INTEROP": "59172_1234_00003",
        "surface_m2": "300",
        "capacite": "250",
    }

    plan = run(commune_staff, csv_file([values], delimiter=",", columns=columns))

    assert outcomes(plan) == [Outcome.CREATED]
    assert Space.objects.get(inventory_id="EQ-7").site.name == "Salle des fêtes"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n1 0 obj\n", "ni un fichier CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ni un fichier CSV"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00", "ni un fichier CSV"),
        (b"PK\x03\x04garbage", "ni un fichier CSV"),
        (b"", "vide"),
        (b"nom;adresse\r\nA;B\r\n", "colonnes manquent"),
    ],
)
def test_inventory_read_refuses_what_is_not_an_inventory(content, message):
    with pytest.raises(ImportRefused, match=message):
        inventory_read(io.BytesIO(content))


def test_inventory_read_refuses_a_zip_bomb_before_unzipping_it():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (210 * 1024 * 1024))

    with pytest.raises(ImportRefused, match="taille anormale"):
        inventory_read(io.BytesIO(output.getvalue()))


class _HugeFile(io.BytesIO):
    """A 50 MB upload: only its announced size is ever looked at."""

    size = 50 * 1024 * 1024

    def read(self, *args):
        raise AssertionError("a file over the limit must not be read")


def test_inventory_read_refuses_a_50_mb_file_without_reading_it():
    with pytest.raises(ImportRefused, match="plus de 10 Mo"):
        inventory_read(_HugeFile())


def test_inventory_read_refuses_a_file_over_the_limit_read_from_a_stream():
    content = csv_file([line()]).getvalue() + b"x" * MAX_FILE_BYTES

    with pytest.raises(ImportRefused, match="plus de 10 Mo"):
        inventory_read(io.BytesIO(content))


# --- The plan: created, updated, unchanged, refused -------------------------------------------


def test_a_new_inventory_creates_its_sites_and_spaces(commune, commune_staff):
    file = csv_file(
        [
            line(espace="Salle 1", identifiant="S-1"),
            line(espace="Salle 2", identifiant="S-2", surface_m2="30"),
            line(site="Ancienne poste", espace="Bureau", numero="4", voie="rue de Paris"),
        ]
    )

    plan = run(commune_staff, file)

    assert outcomes(plan) == [Outcome.CREATED] * 3
    site = Site.objects.get(name="Maison des associations")
    assert site.owner == commune.organisation
    assert site.erp_types == ["L"]
    assert site.latitude == Decimal("50.328900")
    assert sorted(site.spaces.values_list("name", "surface_m2")) == [
        ("Salle 1", Decimal("120.50")),
        ("Salle 2", Decimal("30.00")),
    ]
    assert site.history.get().history_user == commune_staff


def test_a_dry_run_writes_nothing(commune, commune_staff):
    plan = run(commune_staff, csv_file([line()]), dry_run=True)

    assert outcomes(plan) == [Outcome.CREATED]
    assert not Site.objects.filter(name="Maison des associations").exists()


def test_importing_the_same_file_twice_changes_nothing(commune, commune_staff):
    lines = [line(identifiant="S-1"), line(espace="Bureau 2", type_espace="Bureau")]
    run(commune_staff, csv_file(lines))
    spaces_before = list(Space.objects.order_by("pk").values())

    plan = run(commune_staff, csv_file(lines))

    assert outcomes(plan) == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert list(Space.objects.order_by("pk").values()) == spaces_before


def test_an_identifier_finds_a_renamed_space(commune, commune_staff):
    run(commune_staff, csv_file([line(identifiant="S-1")]))

    plan = run(commune_staff, csv_file([line(identifiant="S-1", espace="Salle Zola")]))

    assert outcomes(plan) == [Outcome.UPDATED]
    space = Space.objects.get(inventory_id="S-1")
    assert space.name == "Salle Zola"
    change = space.history.order_by("-history_id").first()
    assert (change.history_type, change.name, change.history_user) == (
        "~",
        "Salle Zola",
        commune_staff,
    )


def test_an_existing_space_is_found_by_site_and_name_ignoring_case(site, space, commune_staff):
    plan = run(
        commune_staff,
        csv_file([line(site="les grands bureaux", espace="SALLE USINOR", surface_m2="99")]),
    )

    assert outcomes(plan) == [Outcome.UPDATED]
    space.refresh_from_db()
    assert space.surface_m2 == Decimal("99.00")
    assert Space.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"code_insee": "59999"}, "Code INSEE de commune inconnu : 59999"),
        ({"code_insee": ""}, "code INSEE de la commune manque"),
        ({"surface_m2": ""}, "surface manque"),
        ({"capacite": ""}, "capacité manque"),
        ({"espace": ""}, "nom de l’espace manque"),
        ({"surface_m2": "1e20"}, "surface_m2"),
        ({"surface_m2": "100000000000000000000"}, "surface_m2"),
        ({"surface_m2": "-5"}, "surface_m2"),
        ({"surface_m2": "NaN"}, "n’est pas un nombre"),
        ({"capacite": "beaucoup"}, "n’est pas un nombre"),
        ({"capacite": "12.5"}, "n’est pas un nombre"),
        ({"latitude": "95", "longitude": "3.39"}, "latitude"),
        ({"latitude": "50.3", "longitude": ""}, "la latitude et la longitude"),
        ({"erp_types": "L, Z"}, "Type ERP inconnu : Z"),
        ({"erp_categorie": "7"}, "Catégorie ERP inconnue : 7"),
        ({"type_espace": "piscine"}, "Type d’espace inconnu : piscine"),
        ({"code_postal": "59300"}, "Le code postal de Denain est 59172"),
        ({"espace": "Salle\x07 A"}, "caractère de contrôle"),
        ({"site": "x" * 1001}, "plus de 1000 caractères"),
    ],
)
def test_a_line_is_refused_with_its_reason(commune, commune_staff, values, reason):
    plan = run(commune_staff, csv_file([line(**values)]))

    assert outcomes(plan) == [Outcome.REFUSED]
    assert reason in reasons(plan)
    assert not Space.objects.exists()


def test_a_formula_is_stored_as_text(commune, commune_staff):
    run(commune_staff, csv_file([line(espace="=1+1")]))

    assert Space.objects.get().name == "=1+1"


def test_duplicate_lines_in_the_file_are_refused(commune, commune_staff):
    file = csv_file(
        [
            line(identifiant="S-1"),
            line(espace="salle POLYVALENTE"),
            line(espace="Autre", identifiant="S-1"),
        ]
    )

    plan = run(commune_staff, file)

    assert outcomes(plan) == [Outcome.CREATED, Outcome.REFUSED, Outcome.REFUSED]
    assert "déjà à la ligne 2" in reasons(plan)


def test_a_site_described_differently_on_two_lines_is_refused(commune, commune_staff):
    file = csv_file([line(espace="A"), line(espace="B", voie="rue de Lille")])

    plan = run(commune_staff, file)

    assert outcomes(plan) == [Outcome.CREATED, Outcome.REFUSED]


def test_a_name_shared_by_two_spaces_of_the_base_is_refused(site, commune_staff):
    SpaceFactory(site=site, name="Bureau")
    SpaceFactory(site=site, name="bureau")

    plan = run(commune_staff, csv_file([line(site=site.name, espace="Bureau")]))

    assert "Plusieurs espaces" in reasons(plan)


def test_a_refused_line_at_the_end_leaves_the_base_untouched(site, space, commune_staff):
    lines = [line(espace=f"Salle {n}") for n in range(30)]
    lines.append(line(site=site.name, espace=space.name, surface_m2="42"))
    lines.append(line(espace="Dernière", surface_m2=""))

    plan = run(commune_staff, csv_file(lines))

    assert plan.count(Outcome.REFUSED) == 1
    assert plan.count(Outcome.CREATED) == 30
    assert Space.objects.count() == 1
    space.refresh_from_db()
    assert space.surface_m2 != Decimal("42")


# --- Permissions -------------------------------------------------------------------------------


def test_commune_staff_cannot_import_into_another_commune(other_commune, commune_staff):
    plan = run(commune_staff, csv_file([line(code_insee="59526", code_postal="59526")]))

    assert outcomes(plan) == [Outcome.REFUSED]
    assert "Vous ne pouvez pas importer de locaux de Saint-Amand-les-Eaux" in reasons(plan)
    assert not Site.objects.exists()


def test_commune_staff_cannot_update_another_communes_premises(space, commune, other_commune_staff):
    plan = run(
        other_commune_staff,
        csv_file([line(site=space.site.name, espace=space.name, surface_m2="1")]),
    )

    assert outcomes(plan) == [Outcome.REFUSED]
    space.refresh_from_db()
    assert space.surface_m2 != Decimal("1")


def test_the_intercommunality_imports_into_every_commune(commune, other_commune, territory_admin):
    file = csv_file([line(), line(code_insee="59526", code_postal="59526")])

    plan = run(territory_admin, file)

    assert outcomes(plan) == [Outcome.CREATED, Outcome.CREATED]
    assert Site.objects.get(commune=other_commune).owner == other_commune.organisation


@pytest.mark.parametrize("persona", ["member", "outsider", "facilities_manager"])
def test_who_works_for_no_commune_may_not_import(request, commune, persona):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        run(user, csv_file([line()]), dry_run=True)


# --- Performance: the number of queries does not grow with the lines ---------------------------


def _lines(count: int) -> list[dict[str, str]]:
    return [
        line(site=f"Site {n // 10}", espace=f"Salle {n}", identifiant=f"S-{n}")
        for n in range(count)
    ]


def test_a_dry_run_reads_the_base_in_a_fixed_number_of_queries(commune, commune_staff):
    run(commune_staff, csv_file(_lines(1000)))  # the base now holds what the file updates
    small = csv_file([{**entry, "capacite": "81"} for entry in _lines(10)])
    large = csv_file([{**entry, "capacite": "81"} for entry in _lines(1000)])
    with CaptureQueriesContext(connection) as few:
        run(commune_staff, small, dry_run=True)
    with CaptureQueriesContext(connection) as many:
        plan = run(commune_staff, large, dry_run=True)

    assert plan.count(Outcome.UPDATED) == 1000
    assert len(many) == len(few)


def test_an_import_of_1000_lines_writes_in_batches_not_per_line(
    commune, commune_staff, django_assert_max_num_queries
):
    # PostgreSQL writes 500 rows a statement (5 inserts here); SQLite's limit of 999
    # parameters a statement makes batches of ~40 spaces (≈ 60 statements here).
    with django_assert_max_num_queries(100):
        plan = run(commune_staff, csv_file(_lines(1000)))

    assert plan.count(Outcome.CREATED) == 1000
    assert Space.objects.count() == 1000
    assert Site.objects.count() == 100


# --- The command -------------------------------------------------------------------------------


def test_the_command_imports_and_summarises(tmp_path, commune, commune_staff):
    path = tmp_path / "inventaire.csv"
    path.write_bytes(csv_file([line()]).getvalue())
    out, err = io.StringIO(), io.StringIO()

    call_command("import_inventory", str(path), "--as", commune_staff.email, stdout=out, stderr=err)

    assert "Créés : 1, mis à jour : 0, inchangés : 0, refusés : 0." in out.getvalue()
    assert "Import terminé." in out.getvalue()
    assert "Vérification: 100%" in err.getvalue()  # the progress bar, on stderr
    assert Space.objects.count() == 1


def test_the_command_dry_run_writes_nothing(tmp_path, commune, commune_staff):
    path = tmp_path / "inventaire.csv"
    path.write_bytes(csv_file([line()]).getvalue())
    out = io.StringIO()

    call_command(
        "import_inventory",
        str(path),
        "--as",
        commune_staff.email,
        "--dry-run",
        stdout=out,
        stderr=io.StringIO(),
    )

    assert "Essai : rien n’a été écrit." in out.getvalue()
    assert not Space.objects.exists()


def test_the_command_fails_with_refused_lines(tmp_path, commune, commune_staff):
    path = tmp_path / "inventaire.csv"
    path.write_bytes(csv_file([line(), line(espace="B", surface_m2="")]).getvalue())
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 ligne"):
        call_command(
            "import_inventory",
            str(path),
            "--as",
            commune_staff.email,
            stdout=out,
            stderr=io.StringIO(),
        )

    assert "Ligne 3" in out.getvalue()
    assert not Space.objects.exists()


def test_the_command_exits_with_status_1_on_an_unreadable_file(tmp_path, commune, commune_staff):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")

    with pytest.raises(SystemExit) as exit_:
        call_command_from_argv(["import_inventory", str(path), "--as", commune_staff.email])

    assert exit_.value.code == 1


def call_command_from_argv(argv: list[str]) -> None:
    from spaces.management.commands.import_inventory import Command

    command = Command(stdout=io.StringIO(), stderr=io.StringIO())
    command.run_from_argv(["manage.py", *argv])


# --- The template and the export -----------------------------------------------------------


def test_the_template_imports_as_its_example_line(commune, commune_staff):
    file = io.BytesIO(xlsx_bytes(COLUMNS, [EXAMPLE_LINE]))

    plan = run(commune_staff, file, dry_run=True)

    assert reasons(plan) == "Le code postal de Denain est 59172."
