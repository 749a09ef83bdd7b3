"""The one CSV writer: formulas made inert, codes kept as text, numbers as numbers."""

import csv
import io
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.http import Http404

from core.exports import XLSX_MEDIA_TYPE, cell, csv_response, csv_text, table_response, xlsx_bytes

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "@SUM(A1)",
    "+33 6 12 34 56 78",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


def _cells(text: str) -> list[list[object]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";", quoting=csv.QUOTE_NONNUMERIC))


@pytest.mark.parametrize("formula", FORMULAS)
def test_cell_prefixes_text_that_a_spreadsheet_would_run(formula):
    assert cell(formula) == "'" + formula


@pytest.mark.parametrize(
    "text",
    ["Mobilité Solidaire", "01053", "00012345600017", "W595000123", "F-2026-00042", "RES-12", ""],
)
def test_cell_leaves_names_and_codes_as_they_are(text):
    assert cell(text) == text


@pytest.mark.parametrize("number", [-12, Decimal("-1.50"), 0, -0.5])
def test_cell_never_prefixes_a_number_even_a_negative_one(number):
    assert cell(number) == number


def test_cell_writes_dates_booleans_and_nothing_as_text():
    assert [cell(date(2025, 3, 1)), cell(True), cell(False), cell(None)] == [
        "2025-03-01",
        "oui",
        "non",
        "",
    ]


def test_csv_text_neutralises_a_formula_and_doubles_its_quotes():
    text = csv_text(["nom", "montant"], [['=HYPERLINK("http://x","y")', Decimal("-3.00")]])

    assert text == ('\ufeff"nom";"montant"\r\n"\'=HYPERLINK(""http://x"",""y"")";-3.00\r\n')


def test_csv_text_reads_back_with_the_apostrophe_and_the_number():
    text = csv_text(["nom", "code", "montant"], [["@SUM(A1)", "01053", Decimal("-1.50")]])

    assert _cells(text)[1] == ["'@SUM(A1)", "01053", -1.5]


def test_csv_text_quotes_text_but_not_numbers():
    text = csv_text(["code", "n", "montant"], [["00012", 3, Decimal("1.50")]])

    assert text == '\ufeff"code";"n";"montant"\r\n"00012";3;1.50\r\n'


def test_csv_response_is_an_utf8_attachment():
    response = csv_response("x.csv", ["nom"], [["=1+1"]])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.content == '\ufeff"nom"\r\n"\'=1+1"\r\n'.encode()


def _libreoffice_reads(tmp_path, name: str, text: str) -> list[str]:
    """The first column as LibreOffice Calc computes it, formulas evaluated on import."""
    source = tmp_path / f"{name}.csv"
    source.write_bytes(text.encode("utf-8"))
    options = "59,34,76,1,,1036,false,false,false,false,false,false,true"  # 13th: run formulas
    subprocess.run(  # noqa: S603 - fixed arguments, a file of our own
        [
            shutil.which("soffice"),
            "--headless",
            f"--infilter=CSV:{options}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    output = (tmp_path / "out" / f"{name}.csv").read_text(encoding="utf-8-sig")
    return [line.split(";")[0] for line in output.splitlines()[1:]]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice (Debian package)")
def test_libreoffice_runs_a_raw_formula_but_not_a_neutralised_one(tmp_path):
    raw = '\ufeff"nom";"montant"\r\n"=1+1";-3.00\r\n'

    computed = _libreoffice_reads(tmp_path, "raw", raw)
    neutralised = _libreoffice_reads(tmp_path, "safe", csv_text(["nom", "montant"], [["=1+1", -3]]))

    assert computed == ["2"]  # the danger is real
    assert neutralised == ['"\'=1+1"']


# --- XLSX: the same table, with typed cells ---


def _xlsx_cells(content: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _xlsx_types(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return [[cell.data_type for cell in row] for row in sheet.iter_rows()]


def test_xlsx_keeps_codes_as_text_cells():
    content = xlsx_bytes(["insee", "siret", "rna"], [["01053", "00012345600017", "W595000123"]])

    assert _xlsx_cells(content)[1] == ["01053", "00012345600017", "W595000123"]
    assert _xlsx_types(content)[1] == ["s", "s", "s"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_xlsx_stores_a_formula_looking_text_as_that_text(formula):
    content = xlsx_bytes(["nom"], [[formula]])

    assert _xlsx_types(content)[1] == ["s"]
    # XML reads a carriage return back as a line feed (end-of-line normalisation).
    assert _xlsx_cells(content)[1] == [formula.replace("\r", "\n")]


def test_xlsx_writes_numbers_as_numbers_and_dates_as_dates():
    content = xlsx_bytes(
        ["montant", "jours", "debut", "ok", "vide"],
        [[Decimal("-1.50"), 306, date(2025, 3, 1), True, None]],
    )

    amount, days, first_day, flag, empty = _xlsx_cells(content)[1]
    assert (amount, days) == (-1.5, 306)
    assert first_day.date() == date(2025, 3, 1)
    assert (flag, empty) == ("oui", None)
    assert _xlsx_types(content)[1][:3] == ["n", "n", "d"]


def test_xlsx_drops_characters_a_workbook_cannot_hold():
    content = xlsx_bytes(["nom"], [["Salle\x00 A\x1b"]])

    assert _xlsx_cells(content)[1] == ["Salle A"]


def test_table_response_answers_xlsx_when_asked():
    response = table_response({"format": "xlsx"}, "aides_2025.csv", ["nom"], [["=1+1"]])

    assert response["Content-Type"] == XLSX_MEDIA_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="aides_2025.xlsx"'
    assert _xlsx_cells(response.content) == [["nom"], ["=1+1"]]


def test_table_response_answers_csv_by_default():
    response = table_response({}, "aides_2025.csv", ["nom"], [["x"]])

    assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("asked", ["pdf", "XLSX", "xlsx\x00", "../etc"])
def test_table_response_refuses_another_format_with_404(asked):
    with pytest.raises(Http404):
        table_response({"format": asked}, "aides_2025.csv", ["nom"], [["x"]])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice (Debian package)")
def test_libreoffice_reads_a_formula_looking_xlsx_text_as_that_text(tmp_path):
    source = tmp_path / "safe.xlsx"
    source.write_bytes(xlsx_bytes(["nom", "code"], [['=HYPERLINK("http://x","y")', "01053"]]))
    subprocess.run(  # noqa: S603 - fixed arguments, a file of our own
        [
            shutil.which("soffice"),
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )

    lines = (tmp_path / "out" / "safe.csv").read_text(encoding="utf-8-sig").splitlines()

    assert lines[1] == '"=HYPERLINK(""http://x"",""y"")";"01053"'  # the text, not "y"
