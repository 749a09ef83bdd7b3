"""Numbers of the observatory as French readers write them: 45,3 %, +5,2 points, 1 234,5 h."""

from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reports import rules

register = template.Library()


def _decimal_fr(value: Decimal, places: str = "0.1") -> str:
    text = f"{value.quantize(Decimal(places), rounding=ROUND_HALF_UP):,}"
    return text.replace(",", rules.NBSP).replace(".", ",")


@register.filter
def percent(rate: Decimal | None) -> str:
    """A rate (0.4532) as a percentage (45,3 %); an em dash when nothing was open."""
    if rate is None:
        return "—"
    return f"{_decimal_fr(rate * 100)}{rules.NBSP}%"


@register.filter
def points(change: Decimal | None) -> str:
    """A change of rate in percentage points, signed (+5,2 points)."""
    if change is None:
        return "—"
    sign = "+" if change > 0 else ""
    return _("%(sign)s%(value)s points") % {"sign": sign, "value": _decimal_fr(change * 100)}


@register.filter
def decimal_fr(value: Decimal | None) -> str:
    """1234.5 → 1 234,5."""
    if value is None:
        return ""
    return _decimal_fr(Decimal(value))


@register.filter
def hours_fr(seconds: float | None) -> str:
    """Seconds as hours with one decimal: 5400 → 1,5."""
    if seconds is None:
        return ""
    return _decimal_fr(Decimal(seconds) / 3600)


@register.simple_tag
def line_rows(lines, parameter: str, rows_url: str, query: str, previous_query: str) -> str:
    """The rows of the sites table (`parameter` "site") or the spaces table ("espace"), in
    one pass: the same cells as the filters above would write, with the rates computed once
    per line and one `reverse()` per table (a 500-space territory has 500 rows; rendering them
    cell by cell through the template took most of the page's time: docs/decisions.md,
    issue 15, second pass)."""
    # The standard library's escape: Django's `escape` gives the same text, through a lazy
    # wrapper that costs more than the escaping on 3,500 cells.
    detail = reverse("spaces:space-detail", args=[0])[: -len("0/")] if parameter == "espace" else ""
    now = escape(f"{rows_url}?{query}&{parameter}=")
    before = escape(f"{rows_url}?{previous_query}&{parameter}=")
    points_text = _("%(sign)s%(value)s points")
    rows = []
    for line in lines:
        key = escape(str(line.key))
        name = escape(line.name)
        current, previous = line.current.rate, line.previous.rate
        if current is None or previous is None:
            change = "—"
        else:
            change = current - previous
            sign = "+" if change > 0 else ""
            change = escape(points_text % {"sign": sign, "value": _decimal_fr(change * 100)})
        if detail:
            heading = f'<a href="{detail}{key}/">{name}</a>'
            second = escape(line.site_name)
        else:
            heading, second = name, escape(line.commune_name)
        rows.append(
            f'\n      <tr>\n        <th scope="row">{heading}</th>\n        <td>{second}</td>\n'
            f'        <td class="amount"><a href="{now}{key}">'
            f"{decimal_fr(line.current.hours_booked)}</a></td>\n"
            f'        <td class="amount">{decimal_fr(line.current.hours_open)}</td>\n'
            f'        <td class="amount">{percent(current)}</td>\n'
            f'        <td class="amount"><a href="{before}{key}">{percent(previous)}</a></td>\n'
            f'        <td class="amount">{change}</td>\n      </tr>\n    '
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value above is escaped)
