"""Equipment lent with the rooms of a site (chairs, tables, a projector), with a stock, and the
quantities each booked date holds.

An `EquipmentUse` belongs to one Occupancy row (one date of a booking) and holds `quantity` of
an item over that row's [start, blocked_until): the date and the space's buffer after it. It is
in use while its Occupancy row is active, so whatever frees a date (a cancellation, a refusal, a
lapse) gives its equipment back with it, and nothing else has to follow. The stock is never
exceeded: `bookings.services.equipment` locks the items and checks the peak of their use before
it writes (docs/decisions.md, issue 16 — equipment).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.validators import bounded

# No site lends more than this of one item; far below the integer column.
MAX_STOCK = 10_000


class Equipment(models.Model):
    """An item a site lends with its rooms, and how many of it there are."""

    site = models.ForeignKey(
        "spaces.Site", verbose_name=_("site"), on_delete=models.CASCADE, related_name="equipment"
    )
    name = SingleLineCharField(_("name"), max_length=100)
    stock = models.PositiveIntegerField(
        _("stock"),
        validators=bounded(0, MAX_STOCK),
        help_text=_("How many can be lent at the same time. 0: no longer offered."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lent equipment")
        verbose_name_plural = _("lent equipment")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="equipment_unique_name"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="equipment_stock_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class EquipmentUse(models.Model):
    """`quantity` of an item held by one date of a booking (its Occupancy row)."""

    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, related_name="uses")
    occupancy = models.ForeignKey(
        "bookings.Occupancy", on_delete=models.CASCADE, related_name="equipment_uses"
    )
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, related_name="equipment_uses"
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=bounded(1, MAX_STOCK))

    class Meta:
        verbose_name = _("equipment booked")
        verbose_name_plural = _("equipment booked")
        constraints = [
            models.UniqueConstraint(
                fields=["equipment", "occupancy"], name="equipmentuse_once_per_date"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="equipmentuse_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.equipment_id}"
