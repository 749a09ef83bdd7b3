"""`{{ name|of_name }}`: "d’Escaudain", "des Amis…" in French, "of …" in English (core.text)."""

from django import template

from core import text

register = template.Library()


@register.filter
def of_name(name) -> str:
    return text.of_name(str(name))
