"""Several rooms at once (issue 16): one request for a hall and its kitchen, or three rooms of
a building for a forum day. Each room keeps its own `Booking` (approval, cancellation,
payments, occupancy, equipment and the aid valuation work on it unchanged); the group only
says which bookings were asked together, in one transaction, all or nothing."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# At most this many rooms in one request: a forum day in a whole building, not a catalogue.
MAX_GROUP_SPACES = 10


class BookingGroup(models.Model):
    """Bookings of several rooms of one site requested together (`Booking.group`)."""

    site = models.ForeignKey(
        "spaces.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="booking_groups",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested on"), auto_now_add=True)

    class Meta:
        verbose_name = _("group of bookings")
        verbose_name_plural = _("groups of bookings")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"group {self.pk}"
