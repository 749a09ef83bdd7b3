"""Reads of groups of bookings (several rooms requested at once, issue 16)."""

from django.db.models import Exists, OuterRef, QuerySet

from accounts.selectors import AnyUser
from bookings.models import Booking, BookingGroup, BookingStatus
from bookings.selectors.bookings import bookings_manageable_by, bookings_visible_to


def booking_groups_visible_to(user: AnyUser) -> QuerySet[BookingGroup]:
    """The groups with a booking the user sees (the rooms of one site, for one structure: who
    sees one sees them all). Anyone else gets nothing, so a 404."""
    return BookingGroup.objects.filter(
        Exists(bookings_visible_to(user).filter(group=OuterRef("pk")))
    )


def booking_groups_manageable_by(user: AnyUser) -> QuerySet[BookingGroup]:
    """The groups the user may decide on as a manager of their site."""
    return BookingGroup.objects.filter(
        Exists(bookings_manageable_by(user).filter(group=OuterRef("pk")))
    )


def booking_group_rooms(*, group_id: int) -> list[Booking]:
    """The bookings of a group, in the order they were requested (the first room first), with
    what a list of them shows."""
    return list(Booking.objects.filter(group_id=group_id).select_related("space").order_by("pk"))


def booking_group_pending_count(rooms: list[Booking]) -> int:
    return sum(1 for room in rooms if room.status == BookingStatus.PENDING)


def booking_group_page_rooms(*, group_id: int) -> list[Booking]:
    """The bookings of a group for its page: each room with its site (one query, whatever the
    number of rooms)."""
    return list(
        Booking.objects.filter(group_id=group_id)
        .select_related("space", "space__site")
        .order_by("pk")
    )
