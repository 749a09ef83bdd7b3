"""Text fields that carry the control-character rule of `core.validators`.

Every text column a person types into is one of the model fields below, so ModelForms, the admin
and DRF's model serializers inherit the rule (a test walks the models); their form fields get
the validator too, so a form refuses the value itself rather than leaving it to `full_clean`.
Form fields declared by hand are `SingleLineFormField` or `MultiLineFormField` (and, in the API,
`api.fields.SingleLineField` or `MultiLineField`).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from core.validators import (
    MAX_JSON_DEPTH,
    json_depth_exceeds,
    normalise_newlines,
    validate_multi_line,
    validate_single_line,
)


class _TextRuleMixin:
    text_validator: Callable[[object], None]

    def formfield(self, **kwargs: Any) -> forms.Field | None:
        field = super().formfield(**kwargs)  # type: ignore[misc]
        if field is not None and self.text_validator not in field.validators:
            field.validators.append(self.text_validator)
        return field


class SingleLineCharField(_TextRuleMixin, models.CharField):
    """A name, title, label, reference or address line: no line break, no control character."""

    text_validator = staticmethod(validate_single_line)
    default_validators = [validate_single_line]


class SingleLineEmailField(_TextRuleMixin, models.EmailField):
    """An e-mail address (Django's validator accepts control characters in a quoted local part)."""

    text_validator = staticmethod(validate_single_line)
    default_validators = [*models.EmailField.default_validators, validate_single_line]


class SingleLineURLField(_TextRuleMixin, models.URLField):
    """A web address (Django's validator lets control characters other than CR, LF, tab through)."""

    text_validator = staticmethod(validate_single_line)
    default_validators = [*models.URLField.default_validators, validate_single_line]


class MultiLineTextField(_TextRuleMixin, models.TextField):
    """A description, reason or comment: line breaks (stored as LF) and tabs, no other control
    character."""

    text_validator = staticmethod(validate_multi_line)
    default_validators = [validate_multi_line]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalise_newlines(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return normalise_newlines(value) if isinstance(value, str) else value


class SingleLineFormField(forms.CharField):
    """A form's single-line text (a short reason, a reference) declared by hand."""

    default_validators = [validate_single_line]


class MultiLineFormField(forms.CharField):
    """A form's multi-line text (a reason, a comment) declared by hand; line breaks become LF."""

    widget = forms.Textarea
    default_validators = [validate_multi_line]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalise_newlines(value) if isinstance(value, str) else value


class BoundedJSONFormField(forms.JSONField):
    """Django's JSON form field (the admin's, for a JSON column) with the API's depth limit: a
    document nested thousands of levels deep made the decoder raise RecursionError, a 500."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and json_depth_exceeds(value, MAX_JSON_DEPTH):
            raise ValidationError(
                _("This JSON is nested too deeply (at most %(depth)s levels)."),
                code="too_deep",
                params={"depth": MAX_JSON_DEPTH},
            )
        return super().to_python(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        # Redisplaying the refused text must not decode it either.
        if isinstance(data, str) and json_depth_exceeds(data, MAX_JSON_DEPTH):
            return InvalidJSONInput(data)
        return super().bound_data(data, initial)
