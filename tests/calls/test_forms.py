"""The money terms of an occupancy agreement are asked the same way whether it is offered
directly (bookings) or after a call for applications (calls): one definition of the fields."""

from accounts.models import Organisation
from bookings.forms import AllocationCreateForm
from calls.forms import AgreementForm
from spaces.models import Space

MONEY_TERMS = ["annual_fee", "free_use_basis", "free_use_reference", "deposit"]


def _described(form_class: type, name: str) -> tuple:
    field = form_class.base_fields[name]
    return (
        type(field),
        str(field.label),
        str(field.help_text),
        field.required,
        getattr(field, "max_value", None),
        getattr(field, "choices", None),
    )


def test_agreement_forms_ask_the_money_terms_with_the_same_fields():
    assert [_described(AllocationCreateForm, name) for name in MONEY_TERMS] == [
        _described(AgreementForm, name) for name in MONEY_TERMS
    ]


def test_direct_agreement_form_shows_the_money_terms_after_the_regime():
    form = AllocationCreateForm(spaces=Space.objects.none(), structures=Organisation.objects.none())

    assert list(form.fields) == [
        "spaces",
        "structure",
        "start",
        "last_day",
        "legal_regime",
        *MONEY_TERMS,
        "direct_reason",
    ]


def test_agreement_form_after_a_call_shows_the_money_terms_after_the_regime():
    assert list(AgreementForm().fields) == ["start", "last_day", "legal_regime", *MONEY_TERMS]
