"""Reads of bookings: the permission querysets and what a booking's page shows."""

from django.db.models import Q, QuerySet

from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Booking, BookingStatus, Occupancy
from spaces.selectors import sites_manageable_by


def bookings_visible_to(user: AnyUser) -> QuerySet[Booking]:
    """Their organisation's bookings for members; the bookings of their sites for managers."""
    if user_is_territory_admin(user):
        return Booking.objects.all()
    if not user.is_authenticated:
        return Booking.objects.none()
    return Booking.objects.filter(
        Q(organisation__in=organisations_of(user))
        | Q(space__site__in=sites_manageable_by(user).values("pk"))
    )


def bookings_manageable_by(user: AnyUser) -> QuerySet[Booking]:
    """Bookings the user may approve, refuse or cancel as a manager."""
    return Booking.objects.filter(space__site__in=sites_manageable_by(user).values("pk"))


def bookings_of_requester(user: AnyUser) -> QuerySet[Booking]:
    """Bookings the user may cancel as a requester (within the cancellation notice)."""
    return Booking.objects.filter(organisation__in=organisations_of(user))


def bookings_pending_for(user: AnyUser) -> QuerySet[Booking]:
    return (
        bookings_manageable_by(user)
        .filter(status=BookingStatus.PENDING)
        .select_related("space", "space__site", "organisation", "requested_by")
        .order_by("start", "pk")
    )


def booking_detail(*, user: AnyUser) -> QuerySet[Booking]:
    return bookings_visible_to(user).select_related(
        "space", "space__site", "space__site__commune", "organisation", "requested_by"
    )


def booking_occupancies(*, booking: Booking) -> QuerySet[Occupancy]:
    return booking.occupancies.order_by("start")
