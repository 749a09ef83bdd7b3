"""Shared use of allocated rooms (issue 17): an occupant under a long-term agreement opens its
room at given weekly times (evenings, weekends) for other structures' bookings, with the
owner's consent.

A window is proposed by a member of the occupant, consented to by someone who may commit the
owner (it is then active), or withdrawn (by either side). While it is active the agreement's
Occupancy rows leave its dates free (`bookings.services.occupancy.occupancies_share`), so the
exclusion constraint keeps guarding the room: other structures book inside a window like any
free slot, and outside the windows the agreement's rows refuse them. Each status change is
recorded on the row itself (who and when proposed, consented, withdrew, and why): a window has
at most two changes in its life.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import bounded
from spaces.models import Weekday


class SharingWindowStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed, awaiting the owner's consent")
    ACTIVE = "active", _("Open to other structures")
    WITHDRAWN = "withdrawn", _("Withdrawn")


SHARING_WINDOW_TRANSITIONS: dict[str, frozenset[str]] = {  # the whole state machine
    SharingWindowStatus.PROPOSED: frozenset(
        {SharingWindowStatus.ACTIVE, SharingWindowStatus.WITHDRAWN}
    ),
    SharingWindowStatus.ACTIVE: frozenset({SharingWindowStatus.WITHDRAWN}),
}


class SharingWindow(models.Model):
    """A weekly time when the occupant of `allocation` lets other structures book `space`."""

    allocation = models.ForeignKey(
        "bookings.Allocation",
        verbose_name=_("occupancy agreement"),
        on_delete=models.CASCADE,
        related_name="sharing_windows",
    )
    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), on_delete=models.PROTECT, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))
    valid_from = models.DateField(_("first day"))
    valid_until = models.DateField(_("last day"))
    # The occupant's share of the fees and of the in-kind valuation of the bookings made in the
    # window; the owner keeps the rest (payments.rules.shared_split).
    occupant_share_percent = models.PositiveSmallIntegerField(
        _("occupant's share (%)"), validators=bounded(0, 100)
    )
    status = SingleLineCharField(
        _("status"),
        max_length=10,
        choices=SharingWindowStatus,
        default=SharingWindowStatus.PROPOSED,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed on"), auto_now_add=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consented by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    consented_at = models.DateTimeField(_("consented on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = MultiLineTextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("shared time")
        verbose_name_plural = _("shared times")
        ordering = ["weekday", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")), name="sharingwindow_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_until")),
                name="sharingwindow_from_before_until",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="sharingwindow_weekday"
            ),
            models.CheckConstraint(
                condition=Q(occupant_share_percent__gte=0, occupant_share_percent__lte=100),
                name="sharingwindow_share_percent",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"
            f" ({self.occupant_share_percent} %)"
        )

    @property
    def owner_share_percent(self) -> int:
        return 100 - self.occupant_share_percent
