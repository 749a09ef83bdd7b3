"""Reminders: to the requester the day before each confirmed date; to the people who decide,
before a pending request lapses."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from bookings import notifications
from bookings.models import Booking, BookingStatus, Occupancy, OccupancyKind
from bookings.rules import local_period
from bookings.selectors import local_zone
from bookings.services.occupancy import occupancy_claim_reminder

# The people who decide are reminded this long before a pending request lapses
# (requests.PENDING_LAPSE after it was made, or when its first date starts)…
LAPSE_REMINDER_BEFORE = timedelta(days=2)
# …once the request has waited this long: a request that lapses sooner after it was made is
# not reminded, the request itself ("to decide") gave the date a moment ago.
LAPSE_REMINDER_MIN_WAIT = timedelta(days=1)


def bookings_send_reminders(*, now: datetime | None = None) -> int:
    """E-mail the requester the day before each confirmed date; each date is reminded once."""
    now = now or timezone.now()
    zone = local_zone()
    tomorrow = (now.astimezone(zone) + timedelta(days=1)).date()
    window = local_period(tomorrow, time(0), time(0), zone)
    sent = 0
    due = Occupancy.objects.filter(
        kind=OccupancyKind.BOOKING,
        active=True,
        booking__status=BookingStatus.CONFIRMED,
        start__gte=window.start,
        start__lt=window.end,
        reminder_sent_at__isnull=True,
    ).select_related("booking")
    for row in due:
        with transaction.atomic():
            # The mark and the e-mail (to the outbox) commit together: of two runs at once,
            # one marks and queues; a rollback leaves neither.
            if occupancy_claim_reminder(row=row, at=now):
                notifications.notify(row.booking, "reminder", occurrence_start=row.start)
                sent += 1
    return sent


def _booking_claim_lapse_reminder(*, booking: Booking, at: datetime) -> bool:
    """Mark the lapse reminder of `booking` as sent at `at`; False if it already was, or if the
    request was decided meanwhile (two runs at once cannot both send it)."""
    return bool(
        Booking.objects.filter(
            pk=booking.pk, status=BookingStatus.PENDING, lapse_reminder_sent_at__isnull=True
        ).update(lapse_reminder_sent_at=at)
    )


def bookings_send_lapse_reminders(*, now: datetime | None = None) -> int:
    """Remind the people who decide of each pending request that lapses within
    `LAPSE_REMINDER_BEFORE` (and has waited `LAPSE_REMINDER_MIN_WAIT`); each request is reminded
    once. Returns the number of requests reminded."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status=BookingStatus.PENDING,
        lapse_reminder_sent_at__isnull=True,
        lapses_at__gt=now,
        lapses_at__lte=now + LAPSE_REMINDER_BEFORE,
        created_at__lte=now - LAPSE_REMINDER_MIN_WAIT,
    ).order_by("lapses_at", "pk")
    reminded = 0
    for booking in due:
        with transaction.atomic():
            # The mark and the e-mails (to the outbox) commit together, as above.
            if _booking_claim_lapse_reminder(booking=booking, at=now):
                notifications.notify(booking, "lapse_reminder")
                reminded += 1
    return reminded
