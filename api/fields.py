import re
from datetime import datetime, time, timedelta

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.selectors import local_zone
from core.params import year_in_range
from core.validators import (
    MAX_BIG_INTEGER,
    normalise_newlines,
    validate_multi_line,
    validate_single_line,
)


class LocalDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time with its offset, which must be UTC or the offset of France then.

    A time without offset is refused rather than guessed, and so is a wall-clock time that does
    not exist in France (02:30 on the night clocks go forward, written with +01:00 or +02:00).
    """

    default_error_messages = {
        "invalid": _("Give a date and time in ISO 8601 format, e.g. 2027-03-02T18:00:00+01:00."),
        "naive": _("Give the time zone offset, e.g. 2027-03-02T18:00:00+01:00."),
        "offset": _(
            "{value} does not exist in France (clocks change that night) or its offset is "
            "not the French one."
        ),
    }

    def to_internal_value(self, value: object) -> datetime:
        parsed = value if isinstance(value, datetime) else None
        if parsed is None:
            try:
                parsed = parse_datetime(str(value))
            except ValueError:
                parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        # Years at either end of the calendar overflow once converted to UTC or shifted by a
        # buffer (a 500); no booking is that far off anyway. The bounds are the project's.
        if not year_in_range(parsed.year):
            self.fail("invalid")
        offset = parsed.utcoffset()
        if offset != timedelta(0) and offset != parsed.astimezone(local_zone()).utcoffset():
            self.fail("offset", value=value)
        return parsed


class SingleLineField(serializers.CharField):
    """Single-line text in a request body: no line break, tab, NUL or other control character."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_single_line)


class MultiLineField(serializers.CharField):
    """Multi-line text in a request body: line breaks (stored as LF) and tabs, no other control
    character."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_multi_line)

    def to_internal_value(self, data: object) -> str:
        return normalise_newlines(super().to_internal_value(data))


class IdField(serializers.IntegerField):
    """The id of a row named in a request body: a positive integer that fits the column (a
    larger number would overflow the database's bigint in the lookup)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_BIG_INTEGER)
        super().__init__(**kwargs)


LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$")


@extend_schema_field({"type": "string", "pattern": LOCAL_TIME.pattern, "example": "08:30"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time of the site's day, without offset ("08:30", "08:30:00"), as opening
    hours are kept. OpenAPI's `format: time` is RFC 3339's, which requires an offset: the
    schema states the pattern instead, and an offset is refused rather than dropped."""

    def to_internal_value(self, value: object) -> time:
        if not isinstance(value, str) or not LOCAL_TIME.match(value):
            self.fail("invalid", format="hh:mm[:ss]")
        return super().to_internal_value(value)
