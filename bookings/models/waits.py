"""Waiting for a slot (issue 16): a structure whose one-off request clashed waits for that slot;
when it frees (a refusal, a cancellation, a lapse), the first in line is offered it for a
limited time, then the next.

Not to be confused with the waiting list of calls (`calls.WaitingListEntry`: structures without
premises waiting for long-term space): a `SlotWait` is one slot of one room, by the hour.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.validators import bounded
from spaces.models import MAX_PEOPLE

# How long an offer stands: the space's setting (SlotWaitSetting, 1 to 72 hours, a day unless
# its managers chose otherwise), and never past the space's notice limit (a slot offered must
# still be requestable when it is accepted: bookings.services.waits).
OFFER_HOURS_MIN = 1
OFFER_HOURS_MAX = 72
OFFER_HOURS_DEFAULT = 24
OFFER_HOLD = timedelta(hours=OFFER_HOURS_DEFAULT)  # a space without a setting
# Active waits (waiting or offered) a structure may hold at once: a wait costs nothing, and one
# structure must not queue for every evening of a room.
WAITS_PER_ORGANISATION = 10


class SlotWaitStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered")
    TAKEN = "taken", _("Taken")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A wait in the line: waiting, or offered the slot and not answered yet.
ACTIVE_WAITS = frozenset({SlotWaitStatus.WAITING, SlotWaitStatus.OFFERED})
SLOT_WAIT_TRANSITIONS: dict[str, frozenset[str]] = {  # the whole state machine, in one place
    SlotWaitStatus.WAITING: frozenset(
        {SlotWaitStatus.OFFERED, SlotWaitStatus.EXPIRED, SlotWaitStatus.WITHDRAWN}
    ),
    # Back to waiting: the slot was taken again between the offer and its acceptance.
    SlotWaitStatus.OFFERED: frozenset(
        {
            SlotWaitStatus.TAKEN,
            SlotWaitStatus.WAITING,
            SlotWaitStatus.EXPIRED,
            SlotWaitStatus.WITHDRAWN,
        }
    ),
}


class SlotWait(models.Model):
    """A structure waiting for one slot of a space, with what its request would carry. Its
    place in the line is its `created_at` among the active waits overlapping its slot."""

    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), help_text=_("Exclusive."))
    purpose = SingleLineCharField(_("purpose"), max_length=200)
    attendees = models.PositiveIntegerField(
        _("number of attendees"), validators=bounded(1, MAX_PEOPLE)
    )
    status = SingleLineCharField(
        _("status"), max_length=10, choices=SlotWaitStatus, default=SlotWaitStatus.WAITING
    )
    offered_until = models.DateTimeField(_("offer stands until"), null=True, blank=True)
    # The booking made when the offer was accepted.
    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("waiting since"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("wait for a slot")
        verbose_name_plural = _("waits for a slot")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["space", "status", "start"], name="slot_wait_line"),
            models.Index(fields=["organisation", "status"], name="slot_wait_of_organisation"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="slot_wait_period"),
            models.CheckConstraint(
                condition=Q(status__in=SlotWaitStatus.values), name="slot_wait_status_known"
            ),
            models.CheckConstraint(condition=Q(attendees__gte=1), name="slot_wait_attendees"),
            # An offer has a deadline; nothing else has one.
            models.CheckConstraint(
                condition=Q(status=SlotWaitStatus.OFFERED, offered_until__isnull=False)
                | (~Q(status=SlotWaitStatus.OFFERED) & Q(offered_until__isnull=True)),
                name="slot_wait_offer_deadline",
            ),
            # The service refuses any overlapping duplicate under the space's lock; the database
            # refuses at least the exact one, whoever writes.
            models.UniqueConstraint(
                fields=["organisation", "space", "start", "end"],
                condition=Q(status__in=["waiting", "offered"]),
                name="slot_wait_once_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"wait {self.pk}: space {self.space_id}, {self.start:%Y-%m-%d %H:%M} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("bookings:slot-wait-list") + f"#attente-{self.pk}"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_WAITS


class SlotWaitLog(models.Model):
    """One status change of a wait: who (None: the platform), from, to, why."""

    wait = models.ForeignKey(SlotWait, on_delete=models.CASCADE, related_name="log")
    from_status = SingleLineCharField(max_length=10, blank=True)
    to_status = SingleLineCharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = SingleLineCharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wait history entry")
        verbose_name_plural = _("wait history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"wait {self.wait_id}: {self.from_status or '-'} → {self.to_status}"


class SlotWaitSetting(models.Model):
    """How long a freed slot of a space stays offered to the structure first in line, set by
    the space's managers on its line's page. A space without a row: OFFER_HOURS_DEFAULT."""

    space = models.OneToOneField(
        "spaces.Space",
        verbose_name=_("space"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="slot_wait_setting",
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("offer duration (hours)"),
        default=OFFER_HOURS_DEFAULT,
        validators=bounded(OFFER_HOURS_MIN, OFFER_HOURS_MAX),
        help_text=_(
            "How long a freed slot stays offered to the first structure in line before it goes "
            "to the next one; never past the space's minimum notice."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("waiting line setting")
        verbose_name_plural = _("waiting line settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(offer_hours__gte=OFFER_HOURS_MIN) & Q(offer_hours__lte=OFFER_HOURS_MAX),
                name="slot_wait_offer_hours_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space_id}: {self.offer_hours} h"
