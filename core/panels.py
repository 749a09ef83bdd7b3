"""Panels: a higher app's block on a lower app's page, without the lower app knowing that app.

A page of a lower app names a slot in its template, ``{% panels "booking_detail.sections"
booking %}`` (the tag is in `core.templatetags.panels`). An app above it registers, in its
``AppConfig.ready``, a panel for that slot: a function that takes the request and the page's
object (and the slot's keyword options) and returns the template and context of its block, or
None when it has nothing to show there. The slot shows the panels of the installed apps in the
order they were registered; without the app, the page simply lacks its block.

A panel reads through its app's selectors, permission checks included, before its template is
rendered: templates only display what they are given. Slots in use are listed in
docs/architecture.md.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    """A block to show in a slot: `template_name` rendered with `context`."""

    template_name: str
    context: Mapping[str, Any] = field(default_factory=dict)


class PanelFunction(Protocol):
    def __call__(self, request: HttpRequest | None, obj: Any, /, **options: Any) -> Panel | None:
        """The block for `obj` on this request's page, or None when there is nothing to show."""


_registry: dict[str, list[PanelFunction]] = {}


def register(slot: str, panel: PanelFunction) -> None:
    """Show `panel` in `slot`, after the panels registered before it (registering twice adds
    it once: `AppConfig.ready` may run more than once)."""
    panels = _registry.setdefault(slot, [])
    if panel not in panels:
        panels.append(panel)


def panels_for(slot: str, request: HttpRequest | None, obj: Any, **options: Any) -> list[Panel]:
    """The blocks that apply to `obj` in `slot`, in registration order."""
    found = (panel(request, obj, **options) for panel in _registry.get(slot, ()))
    return [panel for panel in found if panel is not None]


@contextmanager
def registry_replaced(registry: Mapping[str, Sequence[PanelFunction]]) -> Iterator[None]:
    """Use `registry` instead of the registered panels inside the block (tests: a page as it
    is without the apps that fill its slots)."""
    global _registry  # swapped back in `finally`
    saved = _registry
    _registry = {slot: list(panels) for slot, panels in registry.items()}
    try:
        yield
    finally:
        _registry = saved
