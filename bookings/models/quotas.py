"""Booking on behalf (the rules an agent may waive) and quotas (how much of a site one structure
may hold at once), issue 16. Both are checked by `bookings.services.requests.booking_request`
through `bookings.services.behalf` and `bookings.services.quotas`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.validators import bounded
from spaces.models import SpaceKind


class Waiver(models.TextChoices):
    """The rules of a space an agent booking on behalf of a structure may waive (the others —
    opening hours, duration, capacity, clashes, quotas — hold for everyone)."""

    MIN_NOTICE = "min_notice", _("Minimum notice")
    MAX_ADVANCE = "max_advance", _("Maximum advance")


# Upper bounds of a quota: every hour of a week, of the longest month; pending requests at once.
MAX_WEEK_HOURS = 168
MAX_MONTH_HOURS = 744
MAX_PENDING = 100


class BookingQuota(models.Model):
    """How much of a site a structure may hold: booked hours per week and per month (pending
    and confirmed dates, each counted in the week and month it starts in, local time) and
    requests awaiting a decision at once. For one structure, or (`organisation` empty) for
    each structure on its own; for every space of the site or (`space_kind`) one kind of
    space. Every quota that matches a request applies."""

    site = models.ForeignKey(
        "spaces.Site",
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        related_name="booking_quotas",
    )
    space_kind = SingleLineCharField(
        _("kind of space"),
        max_length=20,
        choices=SpaceKind,
        blank=True,
        help_text=_("Leave empty for every space of the site."),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="booking_quotas",
        null=True,
        blank=True,
        help_text=_("Leave empty for each structure, each on its own."),
    )
    max_hours_per_week = models.PositiveIntegerField(
        _("hours per week at most"),
        null=True,
        blank=True,
        validators=bounded(1, MAX_WEEK_HOURS),
    )
    max_hours_per_month = models.PositiveIntegerField(
        _("hours per month at most"),
        null=True,
        blank=True,
        validators=bounded(1, MAX_MONTH_HOURS),
    )
    max_pending = models.PositiveSmallIntegerField(
        _("requests awaiting a decision at once, at most"),
        null=True,
        blank=True,
        validators=bounded(1, MAX_PENDING),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("booking quota")
        verbose_name_plural = _("booking quotas")
        ordering = ["site", "organisation", "space_kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_hours_per_week__isnull=False)
                | Q(max_hours_per_month__isnull=False)
                | Q(max_pending__isnull=False),
                name="bookingquota_sets_a_limit",
                violation_error_message=_("Set at least one limit."),
            ),
            # One quota per site, kind of space and structure (or all structures): a second one
            # would be a contradiction to explain, not a rule.
            models.UniqueConstraint(
                fields=["site", "space_kind", "organisation"],
                condition=Q(organisation__isnull=False),
                name="bookingquota_one_per_structure",
                violation_error_message=_(
                    "This site already has a quota for this structure and kind of space: "
                    "change it instead."
                ),
            ),
            models.UniqueConstraint(
                fields=["site", "space_kind"],
                condition=Q(organisation__isnull=True),
                name="bookingquota_one_for_all",
                violation_error_message=_(
                    "This site already has a quota for every structure and this kind of space: "
                    "change it instead."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"quota {self.pk} (site {self.site_id})"
