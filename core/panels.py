"""Panels: a higher app's block on a lower app's page, without the lower app knowing that app.

A page of a lower app names a slot in its template, ``{% panels "booking_detail.sections"
booking %}`` (the tag is in `core.templatetags.panels`). An app above it registers, in its
``AppConfig.ready``, a panel for that slot: a function that takes the request and the page's
object (and the slot's keyword options) and returns the template and context of its block, or
None when it has nothing to show there. The slot shows the panels of the installed apps in the
order they were registered; without the app, the page simply lacks its block.

A table's column works the same way for all its rows at once (so a list's queries do not grow
with its rows): the view asks ``cells_for("booking_list.price", request, bookings)`` and shows
each row's blocks with ``{% cell_panels cells booking %}``; an app registers with
``register_column`` a function that takes the request and the rows and returns a block per
row it has something to show for (keyed by the row's pk).

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


class ColumnFunction(Protocol):
    def __call__(
        self, request: HttpRequest | None, objects: Sequence[Any], /
    ) -> Mapping[Any, Panel]:
        """The block of each row of `objects` (keyed by its pk) it has something to show for."""


_registry: dict[str, list[PanelFunction]] = {}
_columns: dict[str, list[ColumnFunction]] = {}


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


def register_column(slot: str, column: ColumnFunction) -> None:
    """Show `column`'s blocks in the table column `slot` (once, as `register`)."""
    columns = _columns.setdefault(slot, [])
    if column not in columns:
        columns.append(column)


def cells_for(slot: str, request: HttpRequest | None, objects: Sequence[Any]) -> dict:
    """The blocks of each row of `objects` in the column `slot`: {pk: [Panel, ...]}, each
    column function called once for all the rows."""
    cells: dict[Any, list[Panel]] = {}
    if not objects:
        return cells
    for column in _columns.get(slot, ()):
        for pk, panel in column(request, objects).items():
            cells.setdefault(pk, []).append(panel)
    return cells


@contextmanager
def registry_replaced(
    registry: Mapping[str, Sequence[PanelFunction]],
    columns: Mapping[str, Sequence[ColumnFunction]] | None = None,
) -> Iterator[None]:
    """Use `registry` (and `columns`, none by default) instead of the registered panels inside
    the block (tests: a page as it is without the apps that fill its slots)."""
    global _registry, _columns  # swapped back in `finally`
    saved = _registry, _columns
    _registry = {slot: list(panels) for slot, panels in registry.items()}
    _columns = {slot: list(found) for slot, found in (columns or {}).items()}
    try:
        yield
    finally:
        _registry, _columns = saved
