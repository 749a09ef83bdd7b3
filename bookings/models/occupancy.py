from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.history import history
from core.validators import bounded
from spaces.models import MAX_PEOPLE


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")
    LAPSED = "lapsed", _("Lapsed")


# A pending request holds its slot until it is decided or lapses.
OCCUPYING = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})
TRANSITIONS: dict[str, frozenset[str]] = {  # the whole state machine, in one place
    BookingStatus.PENDING: frozenset(
        {
            BookingStatus.CONFIRMED,
            BookingStatus.REFUSED,
            BookingStatus.CANCELLED,
            BookingStatus.LAPSED,
        }
    ),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLED}),
}
REASON_REQUIRED = frozenset({BookingStatus.REFUSED, BookingStatus.CANCELLED})


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY_DATE = "monthly_date", _("Every month, same date")
    MONTHLY_WEEKDAY = "monthly_weekday", _("Every month, same weekday (e.g. 2nd Tuesday)")


class Booking(models.Model):
    """A request to use a space: one slot or a recurring series, for an organisation."""

    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), on_delete=models.PROTECT, related_name="bookings"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    purpose = SingleLineCharField(_("purpose"), max_length=200)
    attendees = models.PositiveIntegerField(
        _("number of attendees"), validators=bounded(1, MAX_PEOPLE)
    )
    status = SingleLineCharField(
        _("status"), max_length=10, choices=BookingStatus, default=BookingStatus.PENDING
    )
    # The first occurrence; the others follow the frequency, in the site's local time.
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    frequency = SingleLineCharField(
        _("repeat"), max_length=16, choices=Frequency, default=Frequency.ONCE
    )
    repeat_until = models.DateField(_("until"), null=True, blank=True)
    repeat_count = models.PositiveSmallIntegerField(
        _("number of times"), null=True, blank=True, validators=bounded(2, 60)
    )
    event = models.OneToOneField(
        "schedule.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="booking"
    )
    lapses_at = models.DateTimeField(_("lapses at"), null=True, blank=True)
    # When the deciders were reminded that the request is about to lapse: set by the job in the
    # transaction that queues the reminder, so two runs at once send it once.
    lapse_reminder_sent_at = models.DateTimeField(
        _("lapse reminder sent on"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("requested on"), auto_now_add=True)
    # Issue 16: when the requester accepted the space's house rules (their text then: the
    # space's history); empty when the space had none.
    house_rules_accepted_at = models.DateTimeField(
        _("house rules accepted on"), null=True, blank=True, editable=False
    )
    # Booked by an agent (a manager of the site, the owner's staff, the intercommunality) for
    # a structure they do not belong to: `requested_by` is the agent (issue 16). The rules the
    # agent waived are recorded here and in the creation's log row.
    on_behalf = models.BooleanField(_("booked on behalf of the structure"), default=False)
    waived_min_notice = models.BooleanField(_("minimum notice waived"), default=False)
    waived_max_advance = models.BooleanField(_("maximum advance waived"), default=False)
    # Issue 16: requested together with other rooms of the site, all or nothing
    # (bookings/models/groups.py); each room is still decided and cancelled on its own.
    group = models.ForeignKey(
        "bookings.BookingGroup",
        verbose_name=_("requested with"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    # Issue 17: booked in a time the occupant of an agreement shares (bookings/models/
    # sharing.py): the occupant decides it too, and takes its share of the fee and of the aid.
    sharing_window = models.ForeignKey(
        "bookings.SharingWindow",
        verbose_name=_("in the shared time of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["status", "lapses_at"], name="booking_status_lapses_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="booking_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(attendees__gte=1), name="booking_attendees_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} — {self.space}"

    def get_absolute_url(self) -> str:
        return reverse("bookings:booking-detail", args=[self.pk])

    @property
    def is_series(self) -> bool:
        return self.frequency != Frequency.ONCE

    @property
    def occupies(self) -> bool:
        return self.status in OCCUPYING


def _day(iso: str) -> str:
    """An ISO date of a change's history as the short local date."""
    return date_format(date.fromisoformat(iso), "SHORT_DATE_FORMAT") if iso else ""


class BookingLog(models.Model):
    """One row per status change or per-date cancellation: who, from, to, why, when."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="log")
    from_status = SingleLineCharField(max_length=10, choices=BookingStatus, blank=True)
    to_status = SingleLineCharField(max_length=10, choices=BookingStatus)
    occurrence_start = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when only one date of a series changed.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = MultiLineTextField(blank=True)
    # Issue 16: a change of time, room, attendees or purpose (bookings.services.changes):
    # {"before": {...}, "after": {...}} with the fields that changed (times in ISO 8601, the
    # room by id and name). Empty for a status change alone.
    change = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking history entry")
        verbose_name_plural = _("booking history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.from_status or '∅'} → {self.to_status}"

    def change_lines(self) -> list[str]:
        """What a change (issue 16) changed, one line per field, "before → after", in local
        time; empty for a status change alone."""
        before, after = self.change.get("before", {}), self.change.get("after", {})

        def slot(values: dict) -> str:
            start = timezone.localtime(datetime.fromisoformat(values["start"]))
            end = timezone.localtime(datetime.fromisoformat(values["end"]))
            return (
                f"{date_format(start, 'SHORT_DATETIME_FORMAT')}–{date_format(end, 'TIME_FORMAT')}"
            )

        lines = []
        if "space_name" in after:
            lines.append(
                _("Room: %(before)s → %(after)s")
                % {"before": before.get("space_name", ""), "after": after["space_name"]}
            )
        if "start" in after or "end" in after:
            full_before = {**after, **before}
            full_after = {**before, **after}
            if "start" in full_before and "end" in full_before:
                lines.append(
                    _("Time: %(before)s → %(after)s")
                    % {"before": slot(full_before), "after": slot(full_after)}
                )
        if "attendees" in after:
            lines.append(
                _("Attendees: %(before)s → %(after)s")
                % {"before": before.get("attendees", ""), "after": after["attendees"]}
            )
        if "purpose" in after:
            lines.append(
                _("Purpose: %(before)s → %(after)s")
                % {"before": before.get("purpose", ""), "after": after["purpose"]}
            )
        if "until" in after:  # a series changed from a date (bookings.services.series)
            lines.append(
                _("Last date: %(before)s → %(after)s")
                % {
                    "before": _day(before.get("until", "")),
                    "after": _day(after["until"]),
                }
            )
        if "from_date" in self.change:
            lines.insert(
                0,
                _("From %(date)s, the dates before unchanged:")
                % {"date": _day(self.change["from_date"])},
            )
        return lines


class Closure(models.Model):
    """A site or a space is closed (holidays, works): no booking may use that time."""

    site = models.ForeignKey(
        "spaces.Site", on_delete=models.CASCADE, related_name="closures", null=True, blank=True
    )
    space = models.ForeignKey(
        "spaces.Space", on_delete=models.CASCADE, related_name="closures", null=True, blank=True
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until (exclusive)"))
    reason = SingleLineCharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = history()  # a deleted closure stays here, with who deleted it

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="closure_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=True) ^ Q(space__isnull=True),
                name="closure_site_xor_space",
            ),
        ]

    def __str__(self) -> str:
        return self.reason


class OccupancyKind(models.TextChoices):
    BOOKING = "booking", _("Booking")
    ALLOCATION = "allocation", _("Allocation")
    CLOSURE = "closure", _("Closure")


class Occupancy(models.Model):
    """The single truth about who uses a space when; no two active rows of a space overlap.

    Every booking occurrence, allocation and closure writes its rows here in the same
    transaction as the object it belongs to, through `bookings.services.occupancy` alone. On
    PostgreSQL an exclusion constraint (migration 0002) forbids overlaps of
    [start, blocked_until); on SQLite writers are serialised by IMMEDIATE transactions and the
    overlap query (`bookings.selectors.overlap`) is the guard.
    """

    space = models.ForeignKey("spaces.Space", on_delete=models.PROTECT, related_name="occupancies")
    start = models.DateTimeField()
    end = models.DateTimeField(help_text=_("Exclusive."))
    # end + the space's buffer: the next booking may start from here.
    blocked_until = models.DateTimeField()
    kind = SingleLineCharField(max_length=10, choices=OccupancyKind)
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="occupancies"
    )
    closure = models.ForeignKey(
        Closure, on_delete=models.CASCADE, null=True, blank=True, related_name="occupancies"
    )
    allocation = models.ForeignKey(
        "bookings.Allocation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="occupancies",
    )
    active = models.BooleanField(default=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Check-in (issue 16, bookings/models/checkin.py): when a member of the structure said they
    # had arrived, and who; or when the date was found a no-show and the rest of its slot
    # released, with the end it had before (`end` is then the release moment).
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    no_show_at = models.DateTimeField(null=True, blank=True)
    booked_end = models.DateTimeField(
        null=True, blank=True, help_text=_("The end before a no-show released the rest.")
    )

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["space", "start"], name="occupancy_space_start_idx"),
            models.Index(fields=["booking", "start"], name="occupancy_booking_start_idx"),
            # The no-shows counted per structure (a few rows among all the dates).
            models.Index(
                fields=["no_show_at"],
                name="occupancy_no_show_idx",
                condition=Q(no_show_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="occupancy_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(blocked_until__gte=F("end")), name="occupancy_blocked_after_end"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=OccupancyKind.BOOKING,
                        booking__isnull=False,
                        closure__isnull=True,
                        allocation__isnull=True,
                    )
                    | Q(
                        kind=OccupancyKind.CLOSURE,
                        closure__isnull=False,
                        booking__isnull=True,
                        allocation__isnull=True,
                    )
                    | Q(
                        kind=OccupancyKind.ALLOCATION,
                        allocation__isnull=False,
                        booking__isnull=True,
                        closure__isnull=True,
                    )
                ),
                name="occupancy_kind_matches_owner",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(no_show_at__isnull=True),
                name="occupancy_checked_in_or_no_show",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} ({self.kind})"


class OccupancyMonth(models.Model):
    """Booked time per space, booking's structure and local month: the observatory's summary.

    The active Occupancy rows of bookings, each split at local midnights between months
    (Europe/Paris, real elapsed time across the clock changes): `booked` is the time of the
    dates of `organisation` in `space` that falls in `month`, among the dates that start in
    `start_month` (the same month, but for the part of a date that runs past a month's end:
    the dashboard counts a date in the month it starts in). The Occupancy writer
    (`bookings.services.occupancy`) adds and subtracts here in the same transaction as each
    row it inserts or frees; `manage.py occupancy_summary_rebuild` recomputes it from the rows.
    The dashboard (`reports.selectors.occupancy`) reads it for the whole months of a period.
    """

    month = models.DateField(help_text=_("First day of the local month the time falls in."))
    space = models.ForeignKey("spaces.Space", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    start_month = models.DateField(help_text=_("First day of the local month the dates start in."))
    booked = models.DurationField()

    class Meta:
        verbose_name = _("booked time of a month")
        verbose_name_plural = _("booked time per month")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "space", "organisation", "start_month"],
                name="occupancy_month_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.organisation_id} {self.month:%Y-%m}: {self.booked}"


class CalendarFeed(models.Model):
    """A private ICS subscription behind a secret URL; revoking it stops the feed at once."""

    class Scope(models.TextChoices):
        SPACE = "space", _("Space")
        SITE = "site", _("Site")
        ORGANISATION = "organisation", _("Organisation")

    scope = SingleLineCharField(max_length=12, choices=Scope)
    space = models.ForeignKey("spaces.Space", on_delete=models.CASCADE, null=True, blank=True)
    site = models.ForeignKey("spaces.Site", on_delete=models.CASCADE, null=True, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True
    )
    token = SingleLineCharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar subscription")
        verbose_name_plural = _("calendar subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        scope="space",
                        space__isnull=False,
                        site__isnull=True,
                        organisation__isnull=True,
                    )
                    | Q(
                        scope="site",
                        site__isnull=False,
                        space__isnull=True,
                        organisation__isnull=True,
                    )
                    | Q(
                        scope="organisation",
                        organisation__isnull=False,
                        space__isnull=True,
                        site__isnull=True,
                    )
                ),
                name="calendarfeed_scope_matches_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} feed"
