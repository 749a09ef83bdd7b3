"""Writes of the reports app: cash subsidies entered by the finance department."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrganisationKind, User
from reports.models import FIRST_YEAR, LAST_YEAR, CashSubsidy
from reports.selectors import aid_grantors_for, cash_subsidies_editable_by

logger = logging.getLogger(__name__)

# --- Cash subsidies ---


def cash_subsidy_create(
    *,
    actor: User,
    structure: Organisation,
    granted_by: Organisation,
    year: int,
    amount_cents: int,
    label: str,
    decision_reference: str = "",
) -> CashSubsidy:
    """Record a cash subsidy. Raises PermissionDenied unless the actor reports on `granted_by`,
    ValidationError naming the field at fault."""
    if not aid_grantors_for(actor).filter(pk=granted_by.pk).exists():
        raise PermissionDenied
    errors = {}
    if structure.kind != OrganisationKind.ESS:
        errors["structure"] = _("Choose a social and solidarity economy structure.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = _("Give a year between %(first)s and %(last)s.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    if amount_cents <= 0:
        errors["amount"] = _("The amount must be positive.")
    if not label.strip():
        errors["label"] = _("Say what the subsidy is for.")
    if errors:
        raise ValidationError(errors)
    subsidy = CashSubsidy.objects.create(
        structure=structure,
        granted_by=granted_by,
        year=year,
        amount_cents=amount_cents,
        label=label.strip(),
        decision_reference=decision_reference.strip(),
        entered_by=actor,
    )
    logger.info(
        "cash subsidy %s entered by user %s: %s cents to organisation %s for %s",
        subsidy.pk,
        actor.pk,
        amount_cents,
        structure.pk,
        year,
    )
    return subsidy


def cash_subsidy_delete(*, actor: User, subsidy: CashSubsidy) -> None:
    """Remove a subsidy entered by mistake. Raises PermissionDenied for outsiders."""
    if not cash_subsidies_editable_by(actor).filter(pk=subsidy.pk).exists():
        raise PermissionDenied
    logger.info("cash subsidy %s deleted by user %s", subsidy.pk, actor.pk)
    subsidy.delete()
