"""Form widgets whose HTML is spelled in Python rather than through Django's widget templates.

Django renders a <select> with one template include per option (and one more for each
option's attributes): the catalogue's list of 52 communes took 7.6 ms of CPU on every visit,
the whole filter form 11 ms (docs/decisions.md, issue 18). `FastSelect` writes exactly the
HTML of Django's templates (django/forms/widgets/select.html, select_option.html,
attrs.html), character for character, in a loop: tests/core/test_widgets.py compares both.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe


def _attrs_html(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing
    for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{escape(str(value))}"')
    return "".join(parts)


class FastSelect(forms.Select):
    """A `forms.Select` with the same HTML, without a template per option."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{escape(str(option["value"]))}"'
                    f"{_attrs_html(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class ValueChoices(BaseChoiceIterator):
    """A model choice field's options read as (pk, label) rows when the menu is shown.

    A `ModelChoiceField` lists its queryset as model instances, and on PostgreSQL through a
    server-side cursor (`.iterator()`: DECLARE, FETCH, CLOSE); a filter menu shows two
    columns of them. `rows` returns the (value, label) pairs, read once per iteration; the
    empty choice comes first without reading them, as with the model iterator (Django asks
    for the first option alone before rendering a required menu)."""

    def __init__(self, empty_label: Any, rows: Callable[[], Iterable[tuple[Any, Any]]]):
        self.empty_label = empty_label
        self.rows = rows

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.empty_label is not None:
            yield ("", self.empty_label)
        yield from self.rows()


def options_from_values(
    field: forms.ModelChoiceField, rows: Callable[[], Iterable[tuple[Any, Any]]]
) -> None:
    """Show `field`'s menu from `rows` (see `ValueChoices`); the field still validates a
    chosen value against its queryset, so `rows` must list the same objects, in order."""
    field.widget.choices = ValueChoices(field.empty_label, rows)
