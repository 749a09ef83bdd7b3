"""Shared use of allocated rooms (issue 17): the occupant proposes weekly times when other
structures may book its room; someone who may commit the owner consents, and the agreement's
Occupancy rows then leave those dates free (`occupancies_share`); either side withdraws.

Who: a member of the occupant proposes; the owner's side (`allocation_check_decider`: its staff
or a facilities manager it delegated, not a member of the occupant) consents; both may
withdraw. Anyone who does not see the agreement gets PermissionDenied (404); someone who sees
it but is not on the right side, DecisionNotAllowed (403).

A window with bookings of other structures still to come is not withdrawn: they were accepted
in the occupant's name, so they are cancelled (or take place) first. Its dates from now on then
go back to the agreement, in the same transaction, under the room's lock.
"""

from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import Actor, is_platform
from accounts.exceptions import DecisionNotAllowed
from bookings.allocations.actions import allocation_check_decider
from bookings.allocations.notifications import (
    SHARING_CONSENTED,
    SHARING_PROPOSED,
    SHARING_WITHDRAWN,
    sharing_window_notify,
)
from bookings.exceptions import InvalidTransition
from bookings.models import (
    OCCUPYING,
    SHARING_WINDOW_TRANSITIONS,
    Allocation,
    Occupancy,
    SharingWindow,
    SharingWindowStatus,
)
from bookings.models.allocations import ALLOCATION_OCCUPYING
from bookings.rules import NonExistentLocalTimeError
from bookings.selectors import allocations_visible_to
from bookings.selectors.sharing import allocations_shared_by, window_days, window_periods
from bookings.services.occupancy import occupancies_share, occupancies_unshare
from core.formats import day_text, time_text
from core.workflow import status_change
from spaces.models import Space

MAX_SHARE_PERCENT = 100


class InvalidSharingTransition(InvalidTransition):
    """A refused status change of a shared time (409); its message names its statuses."""

    def message(self) -> str:
        return _("This shared time is %(status)s: that change is not possible.") % {
            "status": SharingWindowStatus(self.from_status).label.lower()
        }


QUARTER = 15  # windows start and end on the quarter hour


def _check_sees(actor: Actor, allocation: Allocation) -> None:
    """PermissionDenied (404) unless `actor` is a person who sees the agreement."""
    if is_platform(actor) or not allocations_visible_to(actor).filter(pk=allocation.pk).exists():
        raise PermissionDenied


def _is_occupant(actor: Actor, allocation: Allocation) -> bool:
    return allocations_shared_by(actor).filter(pk=allocation.pk).exists()


def _check_occupying(allocation: Allocation) -> None:
    if allocation.status not in ALLOCATION_OCCUPYING:
        raise ValidationError(
            _("Only a signed agreement that is still running can share its rooms.")
        )


def _check_fields(
    *,
    allocation: Allocation,
    space: Space | int,
    weekday: object,
    start_time: object,
    end_time: object,
    valid_from: object,
    valid_until: object,
    occupant_share_percent: object,
    today: date,
) -> int:
    """Every field checked before anything is written; returns the space's id."""
    errors: dict[str, str] = {}
    space_id = space if isinstance(space, int) else getattr(space, "pk", None)
    room = allocation.spaces.filter(pk=space_id).values_list("bookable", flat=True).first()
    if room is None:
        errors["space"] = _("Choose one of the agreement's rooms.")
    elif not room:
        errors["space"] = _(
            "This room is not open to bookings by the hour: ask its manager to open it first."
        )
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        errors["weekday"] = _("Choose a day of the week.")
    times_ok = isinstance(start_time, time) and isinstance(end_time, time)
    if not times_ok:
        errors["start_time"] = _("Give the start and end times.")
    else:
        for name, value in (("start_time", start_time), ("end_time", end_time)):
            if value.minute % QUARTER or value.second or value.microsecond:
                errors[name] = _("Times are on the quarter hour (e.g. 18:00, 18:15).")
        if end_time <= start_time:
            errors["end_time"] = _("The end must come after the start, on the same day.")
    if not isinstance(valid_from, date) or not isinstance(valid_until, date):
        errors["valid_from"] = _("Give the first and last days.")
    else:
        if valid_from < today:
            errors["valid_from"] = _("The first day cannot be in the past.")
        elif valid_from < allocation.start:
            errors["valid_from"] = _("The first day must fall within the agreement.")
        if valid_until < valid_from:
            errors["valid_until"] = _("The last day must come on or after the first day.")
        elif valid_until >= allocation.end:
            errors["valid_until"] = _("The last day must fall within the agreement.")
    if (
        not isinstance(occupant_share_percent, int)
        or isinstance(occupant_share_percent, bool)
        or not 0 <= occupant_share_percent <= MAX_SHARE_PERCENT
    ):
        errors["occupant_share_percent"] = _("Give a share between 0 and 100 %.")
    if errors:
        raise ValidationError(errors)
    return space_id


@transaction.atomic
def sharing_window_propose(
    *,
    allocation: Allocation,
    actor: Actor,
    space: Space | int,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date,
    valid_until: date,
    occupant_share_percent: int,
) -> SharingWindow:
    """A member of the occupant proposes a weekly time when other structures may book one of
    the agreement's rooms, and its share of their fees and of the aid valuation. Nothing opens
    before the owner consents (`sharing_window_consent`). Raises PermissionDenied (404),
    DecisionNotAllowed (403), ValidationError (French, by field)."""
    _check_sees(actor, allocation)
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if not _is_occupant(actor, allocation):
        raise DecisionNotAllowed(
            _("Only the occupant's members may open its rooms to other structures.")
        )
    _check_occupying(allocation)
    space_id = _check_fields(
        allocation=allocation,
        space=space,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
        occupant_share_percent=occupant_share_percent,
        today=timezone.localdate(),
    )
    window = SharingWindow(
        allocation=allocation,
        space_id=space_id,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
        occupant_share_percent=occupant_share_percent,
        proposed_by=actor,
    )
    try:
        periods = window_periods(window)
    except NonExistentLocalTimeError as exc:
        raise ValidationError(
            {
                "start_time": _(
                    "%(time)s does not exist on %(day)s (the clocks go forward): choose "
                    "other times."
                )
                % {"time": time_text(exc.local.time()), "day": day_text(exc.local.date())}
            }
        ) from exc
    if not periods:
        raise ValidationError(
            {"weekday": _("That day of the week never falls between the first and last days.")}
        )
    window.save()
    sharing_window_notify(window, SHARING_PROPOSED)
    return window


def _locked(window: SharingWindow) -> tuple[SharingWindow, Space]:
    """The window's room locked (writers on it wait), then the window read with its
    agreement."""
    space = Space.objects.select_for_update().get(pk=window.space_id)
    window = SharingWindow.objects.select_related("allocation", "allocation__structure").get(
        pk=window.pk
    )
    return window, space


@transaction.atomic
def sharing_window_consent(*, window: SharingWindow, actor: Actor) -> bool:
    """Someone who may commit the owner consents to a proposed window: it is active, and the
    agreement's rows of its room leave its dates from now on free for other structures'
    bookings. Returns False if it already was active. Raises PermissionDenied (404),
    DecisionNotAllowed (403: the occupant's members, or someone who may not commit the owner),
    InvalidTransition (withdrawn), ValidationError (the agreement ended, the window is over)."""
    _check_sees(actor, window.allocation)
    window, space = _locked(window)
    allocation = window.allocation
    allocation_check_decider(actor=actor, spaces=[space], structure=allocation.structure)
    now = timezone.now()

    def check() -> None:
        _check_occupying(allocation)
        if window_days(window)[1] < timezone.localdate(now):
            raise ValidationError(_("This shared time is over: propose another one."))

    changed = status_change(
        window,
        to=SharingWindowStatus.ACTIVE,
        transitions=SHARING_WINDOW_TRANSITIONS,
        error=InvalidSharingTransition,
        check=check,
        consented_by=actor,
        consented_at=now,
    )
    if changed is None:
        return False
    occupancies_share(allocation=allocation, space=space, periods=window_periods(window, since=now))
    sharing_window_notify(window, SHARING_CONSENTED)
    return True


def _still_booked(window: SharingWindow, now: datetime) -> int:
    """How many bookings made in `window` still hold a date from `now` on."""
    return (
        Occupancy.objects.filter(
            booking__sharing_window=window,
            booking__status__in=OCCUPYING,
            active=True,
            end__gt=now,
        )
        .values("booking_id")
        .distinct()
        .count()
    )


@transaction.atomic
def sharing_window_withdraw(*, window: SharingWindow, actor: Actor, reason: str) -> bool:
    """The occupant or the owner's side withdraws a window (proposed or active), with a reason.
    An active window's dates from now on go back to the agreement. Refused (ValidationError)
    while bookings of other structures in it are still to come. Returns False if it already
    was withdrawn. Raises PermissionDenied (404), DecisionNotAllowed (403), InvalidTransition."""
    _check_sees(actor, window.allocation)
    window, space = _locked(window)
    allocation = window.allocation
    by_occupant = _is_occupant(actor, allocation)
    if not by_occupant:
        allocation_check_decider(actor=actor, spaces=[space], structure=allocation.structure)
    now = timezone.now()
    was_active = window.status == SharingWindowStatus.ACTIVE

    def check() -> None:
        if not reason.strip():
            raise ValidationError({"reason": _("Give the reason for the withdrawal.")})
        booked = _still_booked(window, now) if was_active else 0
        if booked:
            raise ValidationError(
                ngettext(
                    "%(count)s booking of another structure in this shared time is still to "
                    "come: it must be cancelled, or have taken place, before it is withdrawn.",
                    "%(count)s bookings of other structures in this shared time are still to "
                    "come: they must be cancelled, or have taken place, before it is withdrawn.",
                    booked,
                )
                % {"count": booked}
            )

    changed = status_change(
        window,
        to=SharingWindowStatus.WITHDRAWN,
        transitions=SHARING_WINDOW_TRANSITIONS,
        error=InvalidSharingTransition,
        check=check,
        withdrawn_by=actor,
        withdrawn_at=now,
        withdrawal_reason=reason.strip(),
    )
    if changed is None:
        return False
    if was_active and allocation.status in ALLOCATION_OCCUPYING:
        # The other active windows of the room keep their dates free.
        others = [
            period
            for other in SharingWindow.objects.filter(
                space=space, allocation=allocation, status=SharingWindowStatus.ACTIVE
            ).exclude(pk=window.pk)
            for period in window_periods(other, since=now)
        ]
        occupancies_unshare(
            allocation=allocation,
            space=space,
            periods=window_periods(window, since=now),
            keep_free=others,
        )
    sharing_window_notify(window, SHARING_WITHDRAWN, by_occupant=by_occupant)
    return True
