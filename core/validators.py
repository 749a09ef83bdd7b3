"""Rules for what people type, shared by every app: text without control characters, numbers
within their column and their domain.

A newline in a structure's name closed a CSS string in a PDF template and broke e-mail subjects;
so single-line text refuses every control character, and multi-line text keeps only the line
breaks and tabs that mean something in it.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# C0 (including tab, CR and LF), DEL and C1 (including NEL), and the Unicode line and paragraph
# separators, which some renderers (CSS, JavaScript, e-mail clients) treat as line breaks.
NOT_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The same, minus tab, LF and CR (a browser sends a textarea's lines as CRLF).
NOT_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")

# Amounts of money in cents: 10 million euros is far above any fee, deposit or rent here, and
# below the 2^31 of an integer column.
MAX_MONEY_CENTS = 1_000_000_000
# Integer columns (PostgreSQL `integer` and `smallint`); SQLite takes 64 bits, so these are the
# common bounds.
MAX_INTEGER = 2_147_483_647
MAX_SMALL_INTEGER = 32_767
# Nesting of a JSON document typed or posted (the API's bodies, the admin's JSON fields): no
# document here nests more than a few levels, and Python's decoder recurses once per level.
MAX_JSON_DEPTH = 32
# Ids (BigAutoField).
MAX_BIG_INTEGER = 9_223_372_036_854_775_807


def validate_single_line(value: object) -> None:
    """Refuse line breaks, tabs, NUL and every other control character."""
    if isinstance(value, str) and NOT_SINGLE_LINE.search(value):
        raise ValidationError(
            _("This field cannot contain a line break or a control character."),
            code="single_line",
        )


def validate_multi_line(value: object) -> None:
    """Refuse NUL and every control character but tab and line breaks."""
    if isinstance(value, str) and NOT_MULTI_LINE.search(value):
        raise ValidationError(
            _("This field cannot contain a control character."), code="control_character"
        )


# A JSON string (escapes included), or a bracket: strings are skipped so that a "[" inside a
# text does not count as a level.
_JSON_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(text: str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` opens more than `max_depth` nested arrays or objects (linear, no recursion)."""
    if text.count("[") + text.count("{") <= max_depth:
        return False  # the usual body: too few brackets to nest that deep, no scan needed
    depth = 0
    for match in _JSON_STRING_OR_BRACKET.finditer(text):
        lexeme = match.group()
        if lexeme in ("[", "{"):
            depth += 1
            if depth > max_depth:
                return True
        elif lexeme in ("]", "}"):
            depth -= 1
    return False


def normalise_newlines(value: str) -> str:
    """Write every line break as LF (browsers send CRLF, old systems CR)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def bounded(minimum: int | float, maximum: int | float) -> list:
    """The validators of a number between `minimum` and `maximum` inclusive.

    On a model field they reach its forms, DRF's model serializers and the OpenAPI schema
    (`minimum`/`maximum`); `bounds_of` hands the same limits to serializers declared by hand.
    """
    return [MinValueValidator(minimum), MaxValueValidator(maximum)]


def bounds_of(model: type[models.Model], field_name: str) -> dict[str, int | float]:
    """`min_value`/`max_value` of a model field, from its own validators, for a form or
    serializer field declared by hand: the model stays the one place for the limits.

    Only the validators written on the field count (not the database's ranges, which differ
    between SQLite and PostgreSQL), so every bounded model field declares both.
    """
    field = model._meta.get_field(field_name)
    minimums = [v.limit_value for v in field._validators if isinstance(v, MinValueValidator)]
    maximums = [v.limit_value for v in field._validators if isinstance(v, MaxValueValidator)]
    if not minimums or not maximums:
        raise ValueError(f"{model.__name__}.{field_name} declares no bounds")
    return {"min_value": max(minimums), "max_value": min(maximums)}


def euro_bounds_of(model: type[models.Model], field_name: str) -> dict[str, Decimal]:
    """`bounds_of` a field in cents, for a form field that takes euros."""
    return {key: Decimal(value) / 100 for key, value in bounds_of(model, field_name).items()}
