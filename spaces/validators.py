from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_erp_types(value: object) -> None:
    from spaces.models import ErpType

    if not isinstance(value, list) or any(item not in ErpType.values for item in value):
        raise ValidationError(
            _(
                "Choose ERP types from the official list (J, L, M, N, O, P, R, S, T, U, V, W, X, Y)."
            ),
            code="erp_type_invalid",
        )


def default_booking_kinds() -> list[str]:
    return ["ess", "commune", "epci", "other"]


def validate_organisation_kinds(value: object) -> None:
    from accounts.models import OrganisationKind

    if not isinstance(value, list) or any(item not in OrganisationKind.values for item in value):
        raise ValidationError(
            _("Choose kinds of organisation from the list."), code="organisation_kind_invalid"
        )
