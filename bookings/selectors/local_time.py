"""The sites' time zone, which every read and write of bookings reasons in."""

from zoneinfo import ZoneInfo

from django.utils import timezone


def local_zone() -> ZoneInfo:
    """The sites' time zone (all sites are in mainland France)."""
    return timezone.get_default_timezone()
