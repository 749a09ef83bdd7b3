"""Waiting-list display helpers (a space's candidates on its page are a panel: calls/panels.py)."""

from django import template
from django.utils.translation import gettext as _

from calls.models import WaitingListEntry
from spaces.models import SpaceKind

register = template.Library()


@register.filter
def space_kind_label(value: str) -> str:
    """The label of a kind of space (WaitingListEntry.kind has no choices of its own)."""
    return SpaceKind(value).label if value in SpaceKind.values else value


@register.filter
def surface_range(entry: WaitingListEntry) -> str:
    low, high = entry.min_surface_m2, entry.max_surface_m2
    if low and high:
        return _("%(low)s to %(high)s m²") % {"low": low, "high": high}
    if low:
        return _("from %(low)s m²") % {"low": low}
    if high:
        return _("up to %(high)s m²") % {"high": high}
    return _("Any")
