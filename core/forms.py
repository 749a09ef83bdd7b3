from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from core.params import out_of_range_message, year_in_range


class AccessibleFormMixin:
    """Tie each field to its help text and errors (aria-describedby, aria-invalid).

    Screen-reader users then hear why a field is wrong when they reach it (RGAA 11.10).
    """

    def full_clean(self) -> None:
        super().full_clean()
        self._set_aria()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._set_aria()

    def _set_aria(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            described_by = []
            if field.help_text:
                described_by.append(f"{bound.auto_id}_helptext")
            if name in (self._errors or {}):
                described_by.append(f"{bound.auto_id}_errors")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if described_by:
                field.widget.attrs["aria-describedby"] = " ".join(described_by)
            else:
                field.widget.attrs.pop("aria-describedby", None)
            if field.required and not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["aria-required"] = "true"


class BoundedDateField(forms.DateField):
    """A date whose year lies within the bounds of `core.params` (week and month arithmetic,
    time-zone conversions and the database then never overflow)."""

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None and not year_in_range(value.year):
            raise ValidationError(out_of_range_message(str(self.label)), code="out_of_range")


class AccessibleForm(AccessibleFormMixin, forms.Form):
    pass


class AccessibleModelForm(AccessibleFormMixin, forms.ModelForm):
    pass


class ServiceValidatedModelForm(AccessibleModelForm):
    """A ModelForm that only fills its instance; the service validates the whole object.

    The service is the one place for the rules (the API and the admin reach it too); the view
    shows its ValidationError on the form with `form_add_service_errors`.
    """

    def _post_clean(self) -> None:
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)


def form_add_service_errors(
    form: forms.BaseForm, error: ValidationError, *, renames: Mapping[str, str] | None = None
) -> None:
    """Show a service's ValidationError on the form: on its field if the form has it.

    `renames` maps a service's argument to the form's field where their names differ (the
    service's `annual_fee_cents` is the form's `annual_fee`, typed in euros).
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = (renames or {}).get(name, name)
        form.add_error(field if field in form.fields else None, messages)
    if isinstance(form, AccessibleFormMixin):
        form._set_aria()


# The field a confirmation page's form sends: an irreversible action's POST acts only with it, so
# a stale button or a forged form posting without it lands on the confirmation page instead.
CONFIRM_FIELD = "confirm"


def post_confirmed(request) -> bool:
    """Whether a POST comes from the action's confirmation page (its `confirm=yes` field)."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"
