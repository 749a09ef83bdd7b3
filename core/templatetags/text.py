"""`{{ name|of_name }}`: "d’Escaudain", "des Amis…" in French, "of …" in English (core.text)."""

from django import template

from core import text

register = template.Library()


@register.filter
def of_name(name) -> str:
    return text.of_name(str(name))


@register.filter
def day_range(start, end) -> str:
    """`{{ start|day_range:end }}`: the days an exclusive-end period covers (core.text)."""
    return text.day_range(start, end)
