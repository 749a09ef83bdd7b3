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


@pytest.mark.django_db
def test_options_from_values_render_as_the_model_menu(django_assert_num_queries):
    from core.widgets import options_from_values
    from spaces.models import Commune

    Commune.objects.create(insee_code="59178", name="Douchy-les-Mines")
    Commune.objects.create(insee_code="59205", name="Escaudain <&>")

    class ModelForm(forms.Form):
        field = forms.ModelChoiceField(
            Commune.objects.order_by("name"), required=False, empty_label="All", widget=FastSelect
        )

    model_form, values_form = ModelForm({"field": "59205"}), ModelForm({"field": "59205"})
    rows = Commune.objects.order_by("name").values_list("pk", "name")
    options_from_values(values_form.fields["field"], lambda: rows.all())

    assert values_form.is_valid()  # validated against the queryset, as before
    assert values_form.cleaned_data["field"].name == "Escaudain <&>"
    assert model_form.is_valid()
    with django_assert_num_queries(1):  # the rows, read once when the menu is shown
        html = str(values_form["field"])

    assert html == str(model_form["field"])
