"""Decisions on a booking: the one status-change helper (`_booking_transition`, also used by
the lapse of requests), approve, refuse, cancel (whole, one date, following)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform, logged_actor
from bookings import notifications, scheduler, signals
from bookings.exceptions import InvalidTransition
from bookings.models import (
    OCCUPYING,
    REASON_REQUIRED,
    TRANSITIONS,
    Booking,
    BookingLog,
    BookingStatus,
)
from bookings.permissions import CancelAs, booking_cancel_terms, booking_check_decider
from bookings.rules import Period
from bookings.services.conditions import _approval_check
from bookings.services.occupancy import occupancies_free
from core.signals import status_changed_in_transaction
from core.workflow import status_change


def _booking_transition(*, booking: Booking, to: str, actor: Actor, reason: str = "") -> bool:
    """Change the status (core.workflow.status_change), log it, free the slots if it no longer
    occupies them. Returns False if the booking was already there. Must run inside atomic().
    Checks no permission: its callers did."""

    def reason_given() -> None:
        if to in REASON_REQUIRED and not reason.strip():
            raise ValidationError({"reason": _("Give a reason: it is sent to the requester.")})

    from_status = status_change(
        booking, to=to, transitions=TRANSITIONS, error=InvalidTransition, check=reason_given
    )
    if from_status is None:
        return False
    BookingLog.objects.create(
        booking=booking,
        from_status=from_status,
        to_status=to,
        actor=logged_actor(actor),
        reason=reason.strip(),
    )
    status_changed_in_transaction.send(
        sender=Booking, pk=booking.pk, from_status=from_status, to_status=to
    )
    # robust: the change is committed; a listener failing now is logged, never a lying 500.
    transaction.on_commit(
        lambda: signals.booking_status_changed.send(
            sender=Booking, booking_id=booking.pk, from_status=from_status, to_status=to
        ),
        robust=True,
    )
    if to not in OCCUPYING:
        occupancies_free(rows=booking.occupancies.all(), at=timezone.now())
    return True


@transaction.atomic
def booking_approve(*, booking: Booking, actor: Actor) -> bool:
    """Approve a pending request. Only a manager of the site decides (PermissionDenied for
    outsiders, DecisionNotAllowed for the requesters), and not one who belongs to the requesting
    organisation (ConflictOfInterest, 403): a colleague decides."""
    booking_check_decider(actor=actor, booking=booking)
    _approval_check(booking)  # issue 16: the insurance certificate, required files
    changed = _booking_transition(booking=booking, to=BookingStatus.CONFIRMED, actor=actor)
    if changed:
        notifications.notify(booking, "approved")
    return changed


@transaction.atomic
def booking_refuse(*, booking: Booking, actor: Actor, reason: str) -> bool:
    """Refuse a pending request with a reason. Refused to the same people as approving."""
    booking_check_decider(actor=actor, booking=booking)
    changed = _booking_transition(
        booking=booking, to=BookingStatus.REFUSED, actor=actor, reason=reason
    )
    if changed:
        notifications.notify(booking, "refused", reason=reason.strip())
    return changed


def _check_cancellation_notice(booking: Booking, first_start: datetime, now: datetime) -> None:
    notice = timedelta(hours=booking.space.cancellation_notice_hours)
    if first_start - now < notice:
        raise ValidationError(
            _("Bookings can be cancelled up to %(n)s hours before they start; contact the manager.")
            % {"n": booking.space.cancellation_notice_hours}
        )


@transaction.atomic
def booking_cancel(
    *,
    booking: Booking,
    actor: Actor,
    reason: str,
    occurrence_start: datetime | None = None,
    and_following: bool = False,
    now: datetime | None = None,
    notify_requester: bool = True,
    grouped: bool = False,
) -> int:
    """Cancel a booking, one date of a series, or that date and the following ones.

    On whose terms is decided from the actor (`permissions.booking_cancel_terms`): requesters
    must respect the space's cancellation notice; managers need not, nor does the platform
    (`PLATFORM`: a fee unpaid by its deadline). A manager who belongs to the booking's
    organisation cancels as its requester (notice, and the requester's refund): a manager's
    cancellation refunds in full, a decision nobody takes for their own structure. Anyone else
    gets PermissionDenied (404).
    `notify_requester` False: the caller tells the requester itself (payments, when a pay link
    lapsed, says why in its own e-mail), so the story reaches them once.
    Returns the number of dates cancelled. Raises ValidationError (no reason, too late,
    unknown date).
    """
    now = now or timezone.now()
    as_manager = booking_cancel_terms(actor=actor, booking=booking) == CancelAs.MANAGER
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the cancellation.")})
    booking = Booking.objects.select_for_update().select_related("space").get(pk=booking.pk)
    if booking.status not in OCCUPYING:
        raise InvalidTransition(booking.status, BookingStatus.CANCELLED)
    active = booking.occupancies.filter(active=True).order_by("start")
    if occurrence_start is not None:
        chosen = (
            active.filter(start__gte=occurrence_start)
            if and_following
            else active.filter(start=occurrence_start)
        )
    else:
        chosen = active
    rows = list(chosen)
    if not rows:
        raise ValidationError(
            {"occurrence_start": _("There is no such date left in this booking.")}
        )
    if not as_manager:
        _check_cancellation_notice(booking, rows[0].start, now)
    whole = len(rows) == active.count()
    if whole:
        _booking_transition(booking=booking, to=BookingStatus.CANCELLED, actor=actor, reason=reason)
    else:
        for row in rows:
            scheduler.occurrence_cancel(event=booking.event, period=Period(row.start, row.end))
            BookingLog.objects.create(
                booking=booking,
                from_status=booking.status,
                to_status=BookingStatus.CANCELLED,
                occurrence_start=row.start,
                actor=logged_actor(actor),
                reason=reason.strip(),
            )
        occupancies_free(rows=rows, at=now)
    dates = [row.start for row in rows]
    cancelled_by = "" if is_platform(actor) else str(actor)
    # The requester hears of it (unless the caller tells them itself); a cancellation on the
    # requester's terms frees dates the people who decide planned for: they hear of it too.
    if not grouped:
        notifications.notify(
            booking,
            "cancelled" if as_manager else "cancelled_by_requester",
            to_requester=notify_requester,
            actor=actor,
            dates=dates,
            reason=reason.strip(),
            by_requester=not as_manager,
            cancelled_by=cancelled_by,
        )
    cancelled = [(row.start, row.end) for row in rows]
    transaction.on_commit(
        lambda: signals.booking_cancelled.send(
            sender=Booking,
            booking_id=booking.pk,
            occurrences=cancelled,
            whole=whole,
            actor_id=actor.pk,  # None for the platform
            as_manager=as_manager,
        ),
        robust=True,  # committed: a listener failing now is logged, never a lying 500
    )
    return len(rows)
