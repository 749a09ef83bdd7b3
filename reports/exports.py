"""CSV files for spreadsheets and open data (DOMAIN.md §5.3).

* UTF-8 with a byte-order mark: Excel then reads the accents right.
* `;` as separator: French spreadsheets use the comma as decimal mark.
* Text is always quoted and numbers never are (csv.QUOTE_NONNUMERIC): codes with leading zeros
  (INSEE "01012", SIRET, RNA) are written as they are, in a quoted field, never as numbers and
  never with a leading apostrophe, which would corrupt the data for any other program. A
  spreadsheet that still turns them into numbers must import those columns as text.
* Dates in ISO 8601 (YYYY-MM-DD); amounts in euros with a dot as decimal separator (1500.00).
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.http import HttpResponse

from reports import rules

BOM = "\ufeff"


def cell(value: object) -> str | int | Decimal:
    """A value as written: numbers stay numbers (unquoted), everything else becomes text."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def amount(cents: int) -> Decimal:
    return rules.cents_to_decimal(cents)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return BOM + buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    response = HttpResponse(
        csv_text(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
