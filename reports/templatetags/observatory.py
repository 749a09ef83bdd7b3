"""Numbers of the observatory as French readers write them: 45,3 %, +5,2 points, 1 234,5 h."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
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
