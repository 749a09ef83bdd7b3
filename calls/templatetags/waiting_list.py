"""Waiting-list display helpers, and the candidates of one space for its managers."""

from django import template
from django.utils.translation import gettext as _

from calls.models import WaitingListEntry
from calls.selectors import waiting_list_candidates_for
from spaces.models import Space, SpaceKind

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


@register.inclusion_tag("calls/waiting_space_candidates.html", takes_context=True)
def waiting_candidates(context: template.Context, space: Space) -> dict:
    """The open needs a vacant space fits; nothing unless the user manages the space."""
    request = context.get("request")
    rows = (
        waiting_list_candidates_for(request.user, space_pk=space.pk) if request is not None else []
    )
    return {"space": space, "entries": rows[0].entries if rows else None}
