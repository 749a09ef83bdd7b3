"""Validators for French identifiers (SIREN, SIRET, RNA), with messages in the user's language."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

RNA_PATTERN = re.compile(r"^W\d{9}$")


def compact_identifier(value: str) -> str:
    """Drop the spaces, dots and dashes that people type inside identifiers."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def validate_siren(value: str) -> None:
    try:
        stdnum_siren.validate(value)
    except stdnum_errors.InvalidLength as exc:
        raise ValidationError(_("A SIREN has exactly 9 digits."), code="siren_length") from exc
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("This SIREN is not valid (check the digits)."), code="siren_invalid"
        ) from exc


def validate_siret(value: str) -> None:
    # stdnum knows La Poste's establishments, whose SIRET does not follow the Luhn rule.
    try:
        stdnum_siret.validate(value)
    except stdnum_errors.InvalidLength as exc:
        raise ValidationError(_("A SIRET has exactly 14 digits."), code="siret_length") from exc
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("This SIRET is not valid (check the digits)."), code="siret_invalid"
        ) from exc


def validate_rna(value: str) -> None:
    if not RNA_PATTERN.match(value):
        raise ValidationError(
            _("An RNA number is the letter W followed by 9 digits (e.g. W595012345)."),
            code="rna_invalid",
        )
