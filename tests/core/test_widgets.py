"""FastSelect writes the same HTML as Django's Select templates (core.widgets)."""

import pytest
from django import forms

from core.widgets import FastSelect

CHOICES = [
    ("", "All"),
    ("group <a>", [("1", "L'Abbaye <b>"), ("2", "Two & more")]),
    ("3", "Three"),
    (4, "Four"),
]


class BothForm(forms.Form):
    fast = forms.ChoiceField(
        choices=CHOICES,
        required=False,
        widget=FastSelect(attrs={"class": "x", "data-on": True, "hidden": False}),
    )
    slow = forms.ChoiceField(
        choices=CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "x", "data-on": True, "hidden": False}),
    )
    fast_required = forms.ChoiceField(choices=CHOICES[2:], widget=FastSelect)
    slow_required = forms.ChoiceField(choices=CHOICES[2:])


def _html(form: forms.Form, name: str) -> str:
    return str(form[name]).replace(f'"{name}"', '"field"').replace(f"id_{name}", "id_field")


@pytest.mark.parametrize(
    "data",
    [None, {"fast": "2", "slow": "2"}, {"fast": "<x>", "slow": "<x>"}, {"fast": "4", "slow": "4"}],
)
def test_fast_select_renders_as_django_select(data):
    form = BothForm(data)
    if data:
        form.is_valid()

    assert _html(form, "fast") == _html(form, "slow")
    assert _html(form, "fast_required") == _html(form, "slow_required")
