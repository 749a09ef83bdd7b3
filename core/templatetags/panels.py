"""`{% panels "slot" obj key=value %}`: the blocks the installed apps registered for a slot of
this page (see core.panels)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from core.panels import Panel, panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, slot: str, obj: Any, **options: Any) -> SafeString:
    """Render each panel of `slot` for `obj` with its own context, as an inclusion tag would
    (the page's CSRF token is passed on, nothing else of the page's context)."""
    return _render(context, panels_for(slot, context.get("request"), obj, **options))


@register.simple_tag(takes_context=True)
def cell_panels(context: template.Context, cells: dict, obj: Any) -> SafeString:
    """Render the blocks of `obj`'s row from `cells` (core.panels.cells_for), as `panels`."""
    return _render(context, cells.get(getattr(obj, "pk", obj), []) if cells else [])


def _render(context: template.Context, found: list[Panel]) -> SafeString:
    rendered = []
    for panel in found:
        block = context.template.engine.get_template(panel.template_name)
        values = dict(panel.context)
        csrf_token = context.get("csrf_token")
        if csrf_token is not None:
            values["csrf_token"] = csrf_token
        rendered.append(block.render(context.new(values)))
    # Each block was rendered by the template engine, which escaped what it had to.
    return mark_safe("".join(rendered))  # noqa: S308
