"""Booking on behalf of a structure (issue 16): the request form's organisation field, which
also takes a structure the agent books for, and the agent's options (rules waived, approval at
once). The service checks who may do what (`bookings.services.behalf`)."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from bookings.models import Waiver
from core.forms import AccessibleForm


class OrganisationChoiceField(forms.ModelChoiceField):
    """The requesting organisation: one of the user's own (`queryset`: one query for a member's
    request, as before), else a structure they may book for on its behalf (`behalf`, a
    queryset built only then: asking whether the user manages the space costs a query)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.behalf: Callable[[], QuerySet[Organisation]] | None = None

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            if self.behalf is None or value in self.empty_values:
                raise
            key = self.to_field_name or "pk"
            try:
                return self.behalf().get(**{key: value})
            except (ValueError, TypeError, Organisation.DoesNotExist):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None


class BehalfForm(AccessibleForm):
    """What an agent booking for a structure may add: the rules they waive, the approval."""

    waive = forms.MultipleChoiceField(
        label=_("Rules of the space to waive for this structure"),
        choices=Waiver.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only when booking on behalf of a structure. The waiver is recorded on the booking."
        ),
    )
    approve = forms.BooleanField(
        label=_("Approve at once (you decide on this space's requests)"),
        required=False,
        help_text=_(
            "Only when booking on behalf of a structure: the booking is confirmed and the "
            "structure is told so."
        ),
    )
