"""Cash subsidies entered by the finance department, and the documents rendered in the
background (the budget annex of a commune grows with the territory: reports/services.py).

In-kind aid is not stored: it is computed from the occupancy agreements (bookings.allocations).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import private_storage
from core.fields import MultiLineTextField, SingleLineCharField
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


class DocumentKind(models.TextChoices):
    ANNEX = "annex", _("Budget annex of in-kind support")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class GeneratedDocument(models.Model):
    """A document a user asked for, rendered by a background job into private storage.

    Only its requester downloads it, and only while still entitled to its subject (the commune
    of an annex): reports.selectors.documents_visible_to. Old ones are deleted with their file
    (reports.services.documents_sweep).
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="generated_documents",
    )
    kind = SingleLineCharField(_("kind"), max_length=20, choices=DocumentKind)
    # The parameters of the document: an annex is a commune's, for a financial year.
    commune = models.ForeignKey(
        "spaces.Commune",
        verbose_name=_("commune"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(
        _("financial year"),
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    status = SingleLineCharField(
        _("status"), max_length=20, choices=DocumentStatus, default=DocumentStatus.PENDING
    )
    file = models.FileField(
        _("file"), upload_to="documents/%Y/%m/", storage=private_storage, blank=True
    )
    error = MultiLineTextField(_("error"), blank=True)  # shown to the requester: no detail
    created_at = models.DateTimeField(_("requested on"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="gendoc_status_created")]
        constraints = [
            # Two clicks at once on "Prepare the PDF" queue one job, not two.
            models.UniqueConstraint(
                fields=["requested_by", "kind", "commune", "year"],
                condition=Q(status="pending"),
                name="gendoc_one_pending_per_request",
            ),
            models.CheckConstraint(
                condition=Q(status="ready", file__gt="") | ~Q(status="ready"),
                name="gendoc_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.commune} — {self.year} ({self.status})"

    @property
    def filename(self) -> str:
        """The name the browser saves the file under."""
        return f"{self.commune.insee_code}_{self.year}_annexe_concours_en_nature.pdf"
