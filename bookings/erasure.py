"""What bookings lets go when an account or a structure's data are erased (registered in
accounts.dependents, run inside the erasure's transaction)."""

from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import Organisation, User
from bookings.models import Booking, BookingStatus, CalendarFeed
from bookings.services import booking_cancel, calendar_feed_revoke


def user_erasure_step(*, user: User, actor: Actor) -> None:
    """Revoke the person's calendar feeds (their secret URLs stop at once). Their structures'
    pending requests stay: they are the structure's, which another member may follow."""
    for feed in CalendarFeed.objects.filter(created_by=user, revoked_at__isnull=True):
        calendar_feed_revoke(feed=feed, user=user)


def structure_erasure_step(*, organisation: Organisation, actor: Actor) -> None:
    """Withdraw the structure's pending requests (cancelled by the intercommunality, with the
    usual log and messages) and revoke the feeds of its calendar. Confirmed bookings stay."""
    pending = Booking.objects.filter(organisation=organisation, status=BookingStatus.PENDING)
    for booking in pending.order_by("pk"):
        booking_cancel(
            booking=booking,
            actor=actor,
            reason=_("The structure's data were erased at its request."),
        )
    for feed in CalendarFeed.objects.filter(organisation=organisation, revoked_at__isnull=True):
        calendar_feed_revoke(feed=feed, user=feed.created_by)
