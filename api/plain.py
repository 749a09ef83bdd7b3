"""What the plain representations of the hot lists share (issue 18).

The spaces list, the availability search and the bookings list (api/spaces.py, api/bookings.py)
build dictionaries from `values()` rows, with the page's equipment, photos or dates in one query
each and every `url` formatted from one `reverse()`, instead of nested serializers walking model
instances (10–27 ms a page). The output serializers stay the schema's declaration
(`extend_schema(responses=…)`); the values a serializer field would convert (dates, decimals) go
through that field's own `to_representation`, and tests/api/test_plain.py proves each function
gives what its serializer gives for the same rows, so the two cannot drift apart.
"""

from collections.abc import Callable
from functools import cache

from django.urls import reverse
from rest_framework import serializers

_SENTINEL = 987654321987


def url_of(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for many ids at the cost of one `reverse()`: the URL of a
    sentinel id, split around it (called once per request, so the script prefix holds)."""
    before, after = reverse(name, args=[_SENTINEL]).rsplit(str(_SENTINEL), 1)
    return lambda pk: f"{before}{pk}{after}"


@cache
def _fields(serializer_class: type[serializers.Serializer]) -> dict[str, serializers.Field]:
    return dict(serializer_class().fields)


def converter(serializer_class: type[serializers.Serializer], name: str) -> Callable:
    """The `to_representation` of the serializer's field `name` (None stays None)."""
    field = _fields(serializer_class)[name]
    return lambda value: None if value is None else field.to_representation(value)
