"""Every text a person types refuses control characters, and every number is bounded, in every
model and every form: walked here so that a new field cannot forget it."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.validators import (
    MAX_INTEGER,
    MAX_SMALL_INTEGER,
    validate_multi_line,
    validate_single_line,
)

OUR_APPS = ["accounts", "spaces", "bookings", "calls", "payments", "reports", "core"]
# Column ranges (PostgreSQL; SQLite takes more): a bound must fit its column.
COLUMN_RANGES = {
    "SmallIntegerField": (-MAX_SMALL_INTEGER - 1, MAX_SMALL_INTEGER),
    "PositiveSmallIntegerField": (0, MAX_SMALL_INTEGER),
    "IntegerField": (-MAX_INTEGER - 1, MAX_INTEGER),
    "PositiveIntegerField": (0, MAX_INTEGER),
    "BigIntegerField": (-(2**63), 2**63 - 1),
    "PositiveBigIntegerField": (0, 2**63 - 1),
}


def _our_models() -> list[type[models.Model]]:
    return [model for name in OUR_APPS for model in apps.get_app_config(name).get_models()]


def _own_fields(model: type[models.Model]) -> list[models.Field]:
    # A history model (django-simple-history) copies the tracked fields, which are checked on
    # their own model; its own columns (history_change_reason…) are the library's.
    return [
        field
        for field in model._meta.concrete_fields
        if not field.name.startswith("history_") and not field.auto_created
    ]


def _text_fields():
    for model in _our_models():
        for field in _own_fields(model):
            if isinstance(field, models.CharField | models.TextField):
                yield pytest.param(field, id=f"{model.__name__}.{field.name}")


def _number_fields():
    for model in _our_models():
        for field in _own_fields(model):
            # Choices bound a number already (ERP category, weekday, buffer).
            if (
                isinstance(field, models.IntegerField | models.DecimalField)
                and not isinstance(field, models.AutoField)
                and not field.choices
            ):
                yield pytest.param(field, id=f"{model.__name__}.{field.name}")


@pytest.mark.parametrize("field", list(_text_fields()))
def test_every_text_column_refuses_control_characters(field):
    expected = validate_multi_line if isinstance(field, models.TextField) else validate_single_line
    # A slug's own validator already allows only letters, digits, - and _.
    assert expected in field.validators or isinstance(field, models.SlugField)


@pytest.mark.parametrize("field", list(_number_fields()))
def test_every_number_column_declares_bounds_that_fit_it(field):
    minimums = [v.limit_value for v in field._validators if isinstance(v, MinValueValidator)]
    maximums = [v.limit_value for v in field._validators if isinstance(v, MaxValueValidator)]

    assert minimums, "no MinValueValidator"
    assert maximums, "no MaxValueValidator"
    if isinstance(field, models.DecimalField):
        whole_digits = field.max_digits - field.decimal_places
        assert -(10**whole_digits) < max(minimums) <= min(maximums) < 10**whole_digits
    else:
        low, high = COLUMN_RANGES[field.get_internal_type()]
        assert low <= max(minimums) <= min(maximums) <= high


def _our_forms() -> list[type[forms.BaseForm]]:
    found = {}
    for name in OUR_APPS:
        package = importlib.import_module(name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{name}."):
            if "migrations" in module_info.name or "management" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


def _form_fields(kind: type[forms.Field], *, declared_only: bool = False):
    for form in _our_forms():
        fields = form.declared_fields if declared_only else form.base_fields
        for name, field in fields.items():
            if isinstance(field, kind):
                yield pytest.param(field, id=f"{form.__qualname__}.{name}")


@pytest.mark.parametrize("field", list(_form_fields(forms.CharField)))
def test_every_text_field_of_a_form_refuses_control_characters(field):
    if isinstance(field.widget, forms.PasswordInput):
        pytest.skip("a password is hashed, never shown")

    assert validate_single_line in field.validators or validate_multi_line in field.validators


@pytest.mark.parametrize(
    "field",
    list(_form_fields(forms.IntegerField | forms.DecimalField, declared_only=True)),
)
def test_every_number_declared_by_hand_in_a_form_is_bounded(field):
    # Numbers a ModelForm takes from its model are bounded there (test above).
    assert field.min_value is not None
    assert field.max_value is not None
    assert field.max_value <= MAX_INTEGER
