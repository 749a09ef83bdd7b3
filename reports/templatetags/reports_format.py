from django import template

from reports import rules

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    """Cents as a French amount: 23 000,00 €."""
    if cents is None:
        return ""
    return rules.euros_fr(int(cents))


@register.filter
def number_fr(value: int | None) -> str:
    """An integer with French digit grouping: 19 873."""
    if value is None:
        return ""
    return f"{int(value):,}".replace(",", rules.NBSP)
