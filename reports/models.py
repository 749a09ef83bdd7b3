"""Cash subsidies entered by the finance department, and the log of expiry reminders sent.

In-kind aid is not stored: it is computed from the occupancy agreements (bookings.allocations).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.validators import MAX_INTEGER, MAX_MONEY_CENTS, MAX_SMALL_INTEGER, bounded

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


class ReminderKind(models.TextChoices):
    INSURANCE = "insurance", _("Insurance certificate")
    ESUS = "esus", _("ESUS approval")


class ReminderSent(models.Model):
    """One row per expiry reminder: the daily job sends a reminder only when it creates its row.

    The key is (kind, object_key, expires_on, threshold_days): a renewed certificate (a new
    document) or a new ESUS expiry date starts a new series of reminders. `sent_at` stays empty
    while the e-mails are on their way; a claim left empty for an hour (a crash, the mail server
    down) is taken again by the next run.
    """

    kind = SingleLineCharField(_("kind"), max_length=10, choices=ReminderKind)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    object_key = SingleLineCharField(max_length=60)  # "document:<pk>" or "organisation:<pk>"
    expires_on = models.DateField(_("expires on"))
    threshold_days = models.PositiveSmallIntegerField(
        _("days before expiry"), validators=bounded(0, MAX_SMALL_INTEGER)
    )
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0, validators=bounded(0, MAX_INTEGER))

    class Meta:
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key", "expires_on", "threshold_days"],
                name="remindersent_once_per_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_key} J-{self.threshold_days}"
