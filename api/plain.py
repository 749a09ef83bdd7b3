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
from datetime import datetime
from functools import cache

from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


@cache
def _fields(serializer_class: type[serializers.Serializer]) -> dict[str, serializers.Field]:
    return dict(serializer_class().fields)


def converter(serializer_class: type[serializers.Serializer], name: str) -> Callable:
    """The `to_representation` of the serializer's field `name` (None stays None). Called once
    per request: a date and time field's time zone is the request's."""
    field = _fields(serializer_class)[name]
    if type(field) is serializers.DateTimeField:
        return _moment(field)
    return lambda value: None if value is None else field.to_representation(value)


def _moment(field: serializers.DateTimeField) -> Callable:
    """`field.to_representation` for aware datetimes in ISO 8601 (the API's format), without
    its per-value lookups of the format and the time zone (a page of 50 bookings converts 350
    of them: ~1 ms); anything else (another format, a naive value, an overflow) goes through
    the field itself, so the text and the errors are the field's (tests/api/test_plain.py)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None or not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return lambda value: None if value is None else field.to_representation(value)

    def represent(value):
        if value is None:
            return None
        if type(value) is datetime and value.utcoffset() is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return field.to_representation(value)

    return represent
