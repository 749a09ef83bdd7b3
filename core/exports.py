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
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.http import HttpResponse

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return BOM + buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """An attachment named `filename` (ASCII: it goes into a header as it is)."""
    response = HttpResponse(
        csv_text(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
