"""Spreadsheet files: the one CSV writer of every export (DOMAIN.md §5.3).

* UTF-8 with a byte-order mark: Excel then reads the accents right.
* `;` as separator: French spreadsheets use the comma as decimal mark.
* Text is always quoted and numbers never are (csv.QUOTE_NONNUMERIC): codes with leading zeros
  (INSEE "01012", SIRET, RNA, invoice numbers) are written as they are, in a quoted field, never
  as numbers. A spreadsheet that still turns them into numbers must import those columns as
  text.
* Formula injection (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a
  tab or a carriage return would be run as a formula by Excel or LibreOffice (a structure named
  `=HYPERLINK(...)` becomes a link that leaks data). Such cells get a leading apostrophe, which
  the spreadsheet shows as text. Codes never start with those characters, so they are untouched;
  numbers (a negative amount included) are numbers, not text, and are never prefixed.
* Dates in ISO 8601 (YYYY-MM-DD); amounts in euros with a dot as decimal separator (1500.00).

defusedcsv (PyPI) does the same job but turns every value into text (numbers would be quoted),
escapes `|` and adds a trailing quote, which changes the data; hence these few lines.

The same table as XLSX (`xlsx_bytes`), for people whose spreadsheet mangles CSV codes anyway:
* every text is a text cell (type "s"): codes keep their leading zeros; a text that looks like
  a formula is stored as text too (openpyxl would otherwise write a string starting with "=" as
  a formula), with Excel's "quote prefix" so that editing the cell does not run it either. The
  text is the literal value, without the CSV's apostrophe: the cell's type already says "text".
* numbers are numbers, dates are dates (shown YYYY-MM-DD), booleans "oui"/"non" as in the CSV.
* written in openpyxl's write-only mode: rows stream into the file, memory stays flat.

`table_response` answers one table in the format the request asks (`?format=xlsx`, CSV by
default): every download of a table offers both through it, with the same rows.
"""

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_FORMATS = ("csv", "xlsx")
# Characters an XLSX file cannot hold (XML 1.0 forbids them; openpyxl raises on them).
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def text_cell(text: str) -> str:
    """`text` made inert for a spreadsheet: a leading apostrophe if it could start a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell(value: object) -> str | int | float | Decimal:
    """A value as written: numbers stay numbers (unquoted), everything else becomes inert text."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else text_cell(str(value))


def csv_text(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ";",
    bom: bool = True,
) -> str:
    """The table as CSV text; open-data files follow their schema's dialect (`delimiter`, no
    byte-order mark: a harvester would read it as part of the first column's name)."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n"
    )
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return (BOM if bom else "") + buffer.getvalue()


def _xlsx_cell(sheet, value: object):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value="oui" if value else "non")
    if isinstance(value, int | float | Decimal):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):  # XLSX has no time zone: the local wall-clock time
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        written = WriteOnlyCell(sheet, value=local.replace(tzinfo=None))
        written.number_format = "yyyy-mm-dd hh:mm"
        return written
    if isinstance(value, date):
        written = WriteOnlyCell(sheet, value=value)
        written.number_format = "yyyy-mm-dd"
        return written
    text = "" if value is None else XLSX_ILLEGAL.sub("", str(value))
    written = WriteOnlyCell(sheet, value=text)
    written.data_type = "s"  # never a formula, whatever the text starts with
    if text.startswith(FORMULA_PREFIXES):
        written.quotePrefix = True  # and Excel keeps it text when someone edits the cell
    return written


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "donnees"
) -> bytes:
    """The table as an XLSX workbook of one sheet, header first."""
    # Imported here: openpyxl takes ~0.24 s to import, which every process would pay at start
    # for a file few requests ask for.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_xlsx_cell(sheet, name) for name in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """An attachment named `filename` (ASCII: it goes into a header as it is)."""
    response = HttpResponse(
        csv_text(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """An XLSX attachment named `filename` (ASCII, as for `csv_response`)."""
    response = HttpResponse(xlsx_bytes(header, rows), content_type=XLSX_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_format(query: Mapping[str, str]) -> str:
    """The format a download asks for in `?format=` (CSV by default). Raises Http404 for any
    other value: the table does not exist in that format."""
    requested = query.get("format") or "csv"
    if requested not in TABLE_FORMATS:
        raise Http404
    return requested


def with_suffix(filename: str, extension: str) -> str:
    """`filename` with its extension replaced by `extension` ("aides_2025.csv" → ".xlsx")."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return f"{stem}.{extension}"


def table_response(
    query: Mapping[str, str],
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> HttpResponse:
    """The table as CSV, or as XLSX when `query` (the request's GET) holds `format=xlsx`: the
    one way every download offers both, with the same rows."""
    if table_format(query) == "xlsx":
        return xlsx_response(with_suffix(filename, "xlsx"), header, rows)
    return csv_response(with_suffix(filename, "csv"), header, rows)
