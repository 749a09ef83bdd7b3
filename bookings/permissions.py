"""Who may do what to a booking or a closure: the one place of these rules.

The services of bookings check them with the actor they are given, whatever the caller (page,
API, admin, command); pages ask the same functions what to offer. The permission querysets
(`bookings.selectors`, `spaces.selectors`) decide who sees and who manages; an outsider, who
does not see the booking, gets PermissionDenied (404), someone who sees it but may not act gets
DecisionNotAllowed (403). The platform (`PLATFORM`) cancels under its rules (an unpaid fee) and
lapses undecided requests; it decides nothing else.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform
from accounts.conflicts import decision_check_impartial, user_has_conflict_with
from accounts.exceptions import DecisionNotAllowed
from bookings.models import Booking, BookingStatus, Closure, CommentSide
from bookings.selectors import (
    bookings_decidable_by,
    bookings_manageable_by,
    bookings_of_requester,
    bookings_visible_to,
    closures_manageable_by,
)
from spaces.models import Site, Space
from spaces.permissions import site_check_manager, space_check_manager


class CancelAs(StrEnum):
    """On whose terms a cancellation is made: a requester respects the cancellation notice and
    gets the policy's refund; a manager, and the platform applying a rule, need not and refund
    in full."""

    REQUESTER = "requester"
    MANAGER = "manager"


def _refuse(actor: Actor, booking: Booking) -> NoReturn:
    """Raise DecisionNotAllowed (403) if `actor` sees the booking, else PermissionDenied (404)."""
    if not is_platform(actor) and bookings_visible_to(actor).filter(pk=booking.pk).exists():
        raise DecisionNotAllowed(_("You are not allowed to do this."))
    raise PermissionDenied


def booking_check_decider(*, actor: Actor, booking: Booking) -> None:
    """Refuse an approval or refusal by anyone but an impartial manager of the booking's site.
    Raises PermissionDenied, DecisionNotAllowed, ConflictOfInterest (both 403). A request made
    in a time the occupant of an agreement shares is decided by the occupant's members too
    (issue 17, `bookings_decidable_by`)."""
    if is_platform(actor) or not bookings_decidable_by(actor).filter(pk=booking.pk).exists():
        _refuse(actor, booking)
    decision_check_impartial(actor=actor, organisation=booking.organisation)


def booking_cancel_terms(*, actor: Actor, booking: Booking) -> CancelAs:
    """On whose terms `actor` cancels `booking`: the platform and a manager as managers; a
    manager who belongs to the booking's organisation, and its members, as its requester.
    Raises PermissionDenied (404) for anyone else."""
    if is_platform(actor):
        return CancelAs.MANAGER
    if bookings_manageable_by(actor).filter(pk=booking.pk).exists() and not user_has_conflict_with(
        actor, booking.organisation
    ):
        return CancelAs.MANAGER
    if bookings_of_requester(actor).filter(pk=booking.pk).exists():
        return CancelAs.REQUESTER
    _refuse(actor, booking)


def booking_change_terms(*, actor: Actor, booking: Booking) -> CancelAs:
    """On whose terms `actor` changes `booking` (issue 16): as for a cancellation, a manager
    who does not belong to its organisation as a manager, its members (and such a manager) as
    its requester. The platform changes nothing. Raises PermissionDenied (404) for anyone who
    does not see the booking, DecisionNotAllowed (403) for one who sees it but may not."""
    if is_platform(actor):
        raise PermissionDenied
    return booking_cancel_terms(actor=actor, booking=booking)


def booking_comment_side(*, actor: Actor, booking: Booking) -> CommentSide:
    """The side `actor` writes on in the conversation of `booking`: its organisation's members
    as the requester (a manager who is one of them too: they cancel as its requester, they
    talk as one), the people who may decide on it as its manager. Anyone else, the platform
    included, gets PermissionDenied (404): both sides, and only they, see the conversation."""
    if is_platform(actor):
        raise PermissionDenied
    if bookings_of_requester(actor).filter(pk=booking.pk).exists():
        return CommentSide.REQUESTER
    if bookings_manageable_by(actor).filter(pk=booking.pk).exists():
        return CommentSide.MANAGER
    raise PermissionDenied


@dataclass(frozen=True)
class BookingActions:
    """What a user may do to a booking, for its page; the services check the same rules."""

    is_manager: bool
    can_decide: bool  # approves and refuses pending requests, cancels on a manager's terms
    can_cancel: bool  # now, on the manager's or the requester's terms
    can_remove_files: bool = False  # the requester's documents, while the request is pending
    can_change: bool = False  # issue 16: move it or change its attendees or purpose


def booking_actions_for(*, user: Actor, booking: Booking) -> BookingActions:
    is_manager = (
        not is_platform(user) and bookings_manageable_by(user).filter(pk=booking.pk).exists()
    )
    is_decider = is_manager or (
        booking.sharing_window_id is not None
        and not is_platform(user)
        and bookings_decidable_by(user).filter(pk=booking.pk).exists()
    )
    can_decide = is_decider and not user_has_conflict_with(user, booking.organisation)
    pending = booking.status == BookingStatus.PENDING
    # Asked only where it changes an answer: whether a member of the structure stands on its
    # side (booking_comment_side), for a manager only about a pending request.
    is_requester = (booking.occupies and not is_manager) or (is_manager and pending)
    is_requester = is_requester and bookings_of_requester(user).filter(pk=booking.pk).exists()
    can_cancel = booking.occupies and (is_manager or is_requester)
    return BookingActions(
        is_manager=is_manager,
        can_decide=can_decide,
        can_cancel=can_cancel,
        # The same people; a series is changed from a date (bookings.services.series).
        can_change=can_cancel,
        can_remove_files=pending and is_requester,
    )


def closure_check_manager(
    *, actor: Actor, site: Site | None = None, space: Space | None = None
) -> None:
    """Refuse to close a site or a space, or to reopen it, unless `actor` manages it.
    Raises PermissionDenied (404)."""
    if site is not None:
        site_check_manager(actor=actor, site_id=site.pk)
    if space is not None:
        space_check_manager(actor=actor, space_id=space.pk)


def closure_check_deletable(*, actor: Actor, closure: Closure) -> None:
    """Refuse to delete a closure unless `actor` manages its site or space (404)."""
    if not closures_manageable_by(actor).filter(pk=closure.pk).exists():
        raise PermissionDenied
