"""`{% table_downloads label url annee=2025 %}`: the CSV and XLSX links of one table, side by
side (core.exports.table_response answers both from the same URL, `?format=xlsx`)."""

from urllib.parse import urlencode

from django import template

register = template.Library()


@register.inclusion_tag("partials/_table_downloads.html")
def table_downloads(label: str, url: str, **query: object) -> dict[str, object]:
    csv_query = urlencode(query)
    xlsx_query = urlencode({**query, "format": "xlsx"})
    return {
        "label": label,
        "links": [
            ("CSV", f"{url}?{csv_query}" if csv_query else url),
            ("XLSX", f"{url}?{xlsx_query}"),
        ],
    }
