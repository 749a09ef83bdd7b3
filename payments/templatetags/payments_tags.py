"""Display helpers of the payments templates (and of the reports pages, above payments).

The payments blocks of lower apps' pages (a booking's price, payment and deposit, a space's
tariffs, an agreement's monthly payments) are panels: payments/panels.py.
"""

from django import template

from accounts.models import Organisation
from payments import selectors
from payments.rules import format_eur

register = template.Library()


@register.filter
def eur(cents: int) -> str:
    """12,50 € from 1250 (the active language's number format)."""
    return format_eur(int(cents))


@register.simple_tag(takes_context=True)
def accounting_owners(context: template.Context) -> list[Organisation]:
    """The owners whose public-accounting billing lines the current user may export."""
    request = context.get("request")
    if request is None:
        return []
    return list(selectors.accounting_owners_for(request.user).order_by("name"))
