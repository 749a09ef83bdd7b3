import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from accounts.validators import compact_identifier, validate_rna, validate_siren, validate_siret

# Real identifiers: SNCF's SIREN and its Paris head office; La Poste's SIREN, head office and a
# post office whose SIRET does not pass the Luhn check (INSEE gives La Poste its own rule).
SNCF_SIREN = "552049447"
SNCF_SIRET = "55204944776279"
LA_POSTE_HEAD_OFFICE = "35600000000048"
LA_POSTE_POST_OFFICE = "35600000049837"


def test_validate_siren_accepts_valid_number():
    validate_siren(SNCF_SIREN)


@pytest.mark.parametrize("value", ["55204944", "5520494470"])
def test_validate_siren_refuses_wrong_length(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_siren(value)

    assert excinfo.value.code == "siren_length"


def test_validate_siren_refuses_wrong_check_digit():
    with pytest.raises(ValidationError) as excinfo:
        validate_siren("552049448")

    assert excinfo.value.code == "siren_invalid"


def test_validate_siren_refuses_letters():
    with pytest.raises(ValidationError) as excinfo:
        validate_siren("55204944A")

    assert excinfo.value.code == "siren_invalid"


@pytest.mark.parametrize("value", [SNCF_SIRET, LA_POSTE_HEAD_OFFICE])
def test_validate_siret_accepts_valid_number(value):
    validate_siret(value)


def test_validate_siret_accepts_la_poste_establishment_that_fails_luhn():
    assert not luhn.is_valid(LA_POSTE_POST_OFFICE)  # the point of this case

    validate_siret(LA_POSTE_POST_OFFICE)


@pytest.mark.parametrize("value", ["5520494477627", "552049447762790", SNCF_SIREN])
def test_validate_siret_refuses_wrong_length(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_siret(value)

    assert excinfo.value.code == "siret_length"


def test_validate_siret_refuses_wrong_check_digit():
    with pytest.raises(ValidationError) as excinfo:
        validate_siret("55204944776278")

    assert excinfo.value.code == "siret_invalid"


def test_validate_siret_refuses_la_poste_establishment_with_wrong_digit():
    with pytest.raises(ValidationError) as excinfo:
        validate_siret("35600000049838")

    assert excinfo.value.code == "siret_invalid"


def test_validate_rna_accepts_w_and_nine_digits():
    validate_rna("W595012345")


@pytest.mark.parametrize(
    "value",
    [
        "595012345",  # no W
        "w595012345",  # lower-case W: compact_identifier upper-cases before validation
        "W59501234",  # 8 digits
        "W5950123456",  # 10 digits
        "W59501234A",  # a letter
        "W 595012345",  # a space: compact first
        "",
    ],
)
def test_validate_rna_refuses_other_forms(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_rna(value)

    assert excinfo.value.code == "rna_invalid"


@pytest.mark.parametrize(
    ("typed", "compact"),
    [
        ("552 049 447 76279", SNCF_SIRET),
        ("552.049.447.76279", SNCF_SIRET),
        ("552-049-447", SNCF_SIREN),
        (" w595 012 345\t", "W595012345"),
        ("", ""),
    ],
)
def test_compact_identifier_strips_separators(typed, compact):
    assert compact_identifier(typed) == compact
