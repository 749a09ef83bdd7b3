"""Cash subsidies entered by the finance department.

In-kind aid is not stored: it is computed from the occupancy agreements (bookings.allocations).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.validators import MAX_MONEY_CENTS, bounded

FIRST_YEAR, LAST_YEAR = 2000, 2100


class CashSubsidy(models.Model):
    """A cash subsidy a public body granted to a structure for a financial year."""

    structure = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="cash_subsidies",
    )
    # The 23,000 € threshold applies to each granting body (loi 2000-321 art. 10).
    granted_by = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        related_name="granted_cash_subsidies",
    )
    year = models.PositiveSmallIntegerField(
        _("financial year"),
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    amount_cents = models.PositiveBigIntegerField(
        _("amount (cents)"), validators=bounded(1, MAX_MONEY_CENTS)
    )
    label = SingleLineCharField(_("purpose"), max_length=200)
    decision_reference = SingleLineCharField(
        _("decision reference"),
        max_length=100,
        blank=True,
        help_text=_("E.g. municipal council decision no. 2027-045 of 12 March 2027."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered on"), auto_now_add=True)

    class Meta:
        verbose_name = _("cash subsidy")
        verbose_name_plural = _("cash subsidies")
        ordering = ["year", "structure__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="cashsubsidy_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR) & Q(year__lte=LAST_YEAR),
                name="cashsubsidy_year_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.structure} — {self.year} — {self.label}"
