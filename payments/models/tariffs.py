"""Tariffs of spaces: a price per category of organisation and unit, in euro cents."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.history import history
from payments.rules import CURRENCY, MAX_AMOUNT_CENTS, OrganisationCategory, TariffUnit


def validate_currency(value: str) -> None:
    if value != CURRENCY:
        raise ValidationError(
            _("Only euros (EUR) are accepted, not %(currency)s."), params={"currency": value}
        )


class Tariff(models.Model):
    """The price of a space for one category of organisation and one unit; 0 means free."""

    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), on_delete=models.CASCADE, related_name="tariffs"
    )
    category = SingleLineCharField(_("category"), max_length=20, choices=OrganisationCategory)
    unit = SingleLineCharField(_("unit"), max_length=10, choices=TariffUnit)
    amount_cents = models.PositiveIntegerField(
        _("amount (cents)"),
        validators=[
            MinValueValidator(0, message=_("A tariff cannot be negative; 0 means free.")),
            MaxValueValidator(
                MAX_AMOUNT_CENTS, message=_("A tariff may not exceed 100,000 €: check the amount.")
            ),
        ],
        help_text=_("In cents of euro: 1250 for 12.50 €. 0 means free."),
    )
    currency = SingleLineCharField(
        _("currency"), max_length=3, default=CURRENCY, validators=[validate_currency]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = history()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["space", "category", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "category", "unit"],
                name="tariff_unique_space_category_unit",
                violation_error_message=_(
                    "This space already has a tariff for that category and unit."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0) & Q(amount_cents__lte=MAX_AMOUNT_CENTS),
                name="tariff_amount_in_range",
                violation_error_message=_("A tariff is between 0 and 100,000 €."),
            ),
            models.CheckConstraint(
                condition=Q(currency=CURRENCY),
                name="tariff_currency_eur",
                violation_error_message=_("Only euros (EUR) are accepted."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=OrganisationCategory.values),
                name="tariff_category_known",
            ),
            models.CheckConstraint(
                condition=Q(unit__in=TariffUnit.values), name="tariff_unit_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.category} {self.unit}: {self.amount_cents}"
