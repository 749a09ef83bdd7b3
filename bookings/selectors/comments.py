"""Reads of a booking's conversation: its messages, and who hears of a new one."""

from django.db.models import QuerySet

from accounts.models import Membership, User
from bookings.models import Booking, BookingComment, CommentSide
from bookings.selectors.bookings import booking_requesters, booking_routing
from spaces.selectors import users_managing_site


def booking_comments(*, booking: Booking) -> QuerySet[BookingComment]:
    """The messages of `booking`, oldest first (a conversation reads downwards), each with its
    author. The caller has fetched `booking` through `bookings_visible_to`: who sees the
    booking sees its conversation (its members and those who may decide on it)."""
    return BookingComment.objects.filter(booking=booking).select_related("author")


def booking_comment_recipients(*, comment: BookingComment) -> list[User]:
    """Who hears of `comment`: the other side. For the requester's message, the people a
    request is routed to (`booking_routing`); for a manager's, the requester (or its
    structure's administrators, `booking_requesters`). Plus whoever already wrote in the
    conversation on that side and still stands on it (a colleague of the intercommunality who
    answered once hears the reply). Never the author. `comment.booking` carries its space,
    site and organisation."""
    booking = comment.booking
    if comment.side == CommentSide.REQUESTER:
        other = CommentSide.MANAGER
        people = booking_routing(booking).deciders
        still_there = users_managing_site(booking.space.site)
    else:
        other = CommentSide.REQUESTER
        people = booking_requesters(booking)
        still_there = User.objects.filter(
            pk__in=Membership.objects.filter(organisation=booking.organisation_id).values("user")
        )
    earlier = still_there.filter(
        pk__in=BookingComment.objects.filter(booking=booking, side=other).values("author")
    ).order_by("email")
    found: dict[int, User] = {}
    for user in [*people, *earlier]:
        if user.pk != comment.author_id:
            found.setdefault(user.pk, user)
    return list(found.values())
