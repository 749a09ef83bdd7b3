"""Reminders e-mailed the day before each confirmed date."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from bookings import notifications
from bookings.models import BookingStatus, Occupancy, OccupancyKind
from bookings.rules import local_period
from bookings.selectors import local_zone
from bookings.services.occupancy import occupancy_claim_reminder


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
