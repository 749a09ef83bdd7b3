"""Closures of a site or a space, and the French public holidays as closures."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from bookings.exceptions import BookingConflict
from bookings.models import Closure, OccupancyKind
from bookings.permissions import closure_check_deletable, closure_check_manager
from bookings.rules import Period, french_public_holidays, local_period
from bookings.selectors import closure_targets_and_hits, local_zone
from bookings.services.decisions import booking_cancel
from bookings.services.occupancy import occupancies_close
from core.history import history_actor
from spaces.models import Site, Space


@transaction.atomic
def closure_create(
    *,
    actor: User,
    period: Period,
    reason: str,
    site: Site | None = None,
    space: Space | None = None,
    cancel_bookings: bool = False,
) -> Closure:
    """Close a site (all its spaces) or one space. Bookings hit are listed (BookingConflict)
    unless `cancel_bookings`, which cancels those dates with the closure's reason. Raises
    PermissionDenied (404) unless the actor manages the site or space."""
    if (site is None) == (space is None):
        raise ValueError("Close either a site or a space")
    closure_check_manager(actor=actor, site=site, space=space)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason of the closure.")})
    if period.start >= period.end:
        raise ValidationError({"end": _("The end must be after the start.")})
    # Serialise writers on these spaces (fixed order: no deadlock with another closure).
    to_lock = (
        Space.objects.filter(pk=space.pk) if space is not None else Space.objects.filter(site=site)
    )
    list(to_lock.select_for_update().order_by("pk").values_list("pk", flat=True))
    spaces, hit = closure_targets_and_hits(period=period, site=site, space=space)
    if hit and not cancel_bookings:
        raise BookingConflict(
            [(period, Period(row.start, row.end)) for row in hit],
            message=_("The closure would hit existing bookings or allocations."),
        )
    for row in hit:
        # Only the dates the closure falls on are cancelled, never one it merely follows.
        if row.kind != OccupancyKind.BOOKING or row.end <= period.start:
            raise BookingConflict([(period, Period(row.start, row.end))])
        booking_cancel(
            booking=row.booking,
            actor=actor,
            reason=reason,
            occurrence_start=row.start,
        )
    with history_actor(actor):
        closure = Closure.objects.create(
            site=site,
            space=space,
            start=period.start,
            end=period.end,
            reason=reason.strip(),
            created_by=actor,
        )
    occupancies_close(closure=closure, spaces=spaces, period=period)
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure, actor: User) -> None:
    """Reopen the closed time. The closure stays in its field history, with who deleted it.
    Raises PermissionDenied (404) unless the actor manages its site or space."""
    closure_check_deletable(actor=actor, closure=closure)
    with history_actor(actor):
        closure.delete()  # its Occupancy rows go with it (CASCADE)


def closures_add_public_holidays(*, actor: User, site: Site, year: int) -> list[Closure]:
    """Close a site on the French public holidays of `year` that do not hit any booking.
    Raises PermissionDenied (404) unless the actor manages the site."""
    closure_check_manager(actor=actor, site=site)
    created = []
    for day, name in sorted(french_public_holidays(year).items()):
        period = local_period(day, time(0), time(0), local_zone())
        if Closure.objects.filter(site=site, start=period.start, end=period.end).exists():
            continue
        try:
            created.append(closure_create(actor=actor, site=site, period=period, reason=name))
        except BookingConflict:
            continue
    return created
