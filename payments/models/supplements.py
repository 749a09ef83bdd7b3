"""Supplements billed through the public accountant when a change raised a booking's price
(issue 16): the card channel asks them as a second Payment (purpose "supplement"); an owner
that bills its fees issues them as a complementary titre de recettes from the billing export."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import MAX_MONEY_CENTS, bounded


class BillingSupplementStatus(models.TextChoices):
    DUE = "due", _("To bill")
    CANCELLED = "cancelled", _("Cancelled by a later change")


class BillingSupplement(models.Model):
    """What one change of a booking added to its fee, billed on its own line (RES-<id>-C<n>).

    `change_key` names the change (its slot before and after): a change heard twice records
    one supplement (a constraint). A later change that lowers the price cancels the due
    supplements first, newest first; the booking's own line then bills the rest.
    """

    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.PROTECT,
        related_name="billing_supplements",
    )
    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("billed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount_cents = models.PositiveIntegerField(
        _("amount (cents)"), validators=bounded(1, MAX_MONEY_CENTS)
    )
    reason = MultiLineTextField(_("reason"))
    change_key = SingleLineCharField(max_length=200)
    # The change that lowered the price and cancelled this supplement (heard twice: once).
    cancelled_by_change = SingleLineCharField(max_length=200, blank=True)
    status = SingleLineCharField(
        _("status"),
        max_length=10,
        choices=BillingSupplementStatus,
        default=BillingSupplementStatus.DUE,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("billing supplement")
        verbose_name_plural = _("billing supplements")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "change_key"],
                condition=Q(status="due"),
                name="billingsupplement_one_per_change",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="billingsupplement_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["due", "cancelled"]), name="billingsupplement_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} +{self.amount_cents} {self.status}"
