"""Bring text written before the control-character rule (`core.validators`) into line with it.

Each app's data migration runs `scrub_text_columns`: rows saved before the rule (a structure
named with a newline by the attack that closed a CSS string) would otherwise fail `full_clean`
on their next edit, and an invoice copying such a name could no longer be issued.
"""

import re

from django.db import IntegrityError, migrations, transaction

from core.fields import (
    MultiLineTextField,
    SingleLineCharField,
    SingleLineEmailField,
    SingleLineURLField,
)
from core.validators import NOT_MULTI_LINE, NOT_SINGLE_LINE, normalise_newlines

_SINGLE_LINE_RUN = re.compile(f"(?:{NOT_SINGLE_LINE.pattern})+")


def scrub_single_line(value: str) -> str:
    """Each run of control characters becomes one space ("Asso\\n}}" → "Asso }}")."""
    return _SINGLE_LINE_RUN.sub(" ", value).strip()


def scrub_multi_line(value: str) -> str:
    """Line breaks become LF; the other control characters go (U+2028/9 become LF)."""
    value = normalise_newlines(value).replace("\u2028", "\n").replace("\u2029", "\n")
    return NOT_MULTI_LINE.sub("", value)


def scrub_text_columns(app_label: str) -> migrations.RunPython:
    """A data migration scrubbing every text column of `app_label`'s models (history included)."""

    def forward(apps, schema_editor) -> None:
        single_line = SingleLineCharField | SingleLineEmailField | SingleLineURLField
        for model in apps.get_app_config(app_label).get_models():
            scrubbers = {
                field.attname: scrub_single_line
                if isinstance(field, single_line)
                else scrub_multi_line
                for field in model._meta.concrete_fields
                if isinstance(field, single_line | MultiLineTextField)
            }
            if not scrubbers:
                continue
            rows = model._base_manager.values_list("pk", *scrubbers).iterator(chunk_size=500)
            for pk, *values in list(rows):
                changes = {
                    name: scrub(value)
                    for (name, scrub), value in zip(scrubbers.items(), values, strict=True)
                    if isinstance(value, str) and scrub(value) != value
                }
                if not changes:
                    continue
                try:
                    with transaction.atomic():
                        model._base_manager.filter(pk=pk).update(**changes)
                except IntegrityError:
                    # The scrubbed value collides with another row's (a unique name): the
                    # row keeps its value, to be corrected by hand.
                    continue

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)
