"""Template tags for pages outside the calls app (a space's page lists the calls offering it)."""

from django import template
from django.db.models import QuerySet

from calls.models import Call
from calls.selectors import calls_offering as _calls_offering
from spaces.models import Space

register = template.Library()


@register.simple_tag
def calls_offering(space: Space) -> QuerySet[Call]:
    """Open calls for applications with a lot on `space`."""
    return _calls_offering(space)
