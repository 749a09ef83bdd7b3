"""Check-in at the door and no-shows (issue 16; bookings/models/checkin.py).

- `check_in_settings_set`, `check_in_token_rotate`: a space's managers require check-in, set
  the grace period, and renew the door link's secret (printed QR codes stop working).
- `booking_check_in`: a member of the booking's structure says they have arrived, on the date
  whose window is open (from 30 minutes before its start to the end of the grace period).
- `booking_arrival_record`, `booking_no_show_undo` (follow-ups): an impartial manager of the
  space records an arrival for the structure, or cancels a no-show the job marked, taking the
  released time back only if it is still free.
- `bookings_release_no_shows`: the periodic job. A confirmed date of a space requiring
  check-in, not checked in by the end of its grace period, is marked a no-show and the rest of
  its slot is released (`occupancy_release_no_show`); its structure is told by e-mail, the
  people who manage the site in their notifications list.

A check-in and the job meet on the date's Occupancy row only: each writes it with a
conditional UPDATE (the job after claiming the row `FOR UPDATE SKIP LOCKED`), so exactly one of
them wins, and two runs of the job at once never release a date twice.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform
from accounts.models import User
from bookings import notifications
from bookings.exceptions import CheckInClosed
from bookings.models import (
    CHECK_IN_OPENS_BEFORE_MINUTES,
    GRACE_MINUTES_MAX,
    GRACE_MINUTES_MIN,
    Booking,
    BookingLog,
    BookingStatus,
    CheckInSetting,
    Occupancy,
)
from bookings.permissions import booking_check_decider
from bookings.rules import Period, check_in_window, release_moment
from bookings.selectors import bookings_of_requester, local_zone, occupancy_clash_rows
from bookings.selectors.checkin import check_in_candidates
from bookings.services.equipment import equipment_short_to_lengthen
from bookings.services.occupancy import (
    occupancy_check_in,
    occupancy_release_no_show,
    occupancy_undo_no_show,
)
from spaces.models import Space
from spaces.selectors import spaces_manageable_by

logger = logging.getLogger(__name__)

# Dates older than this are not looked at by the job (a job stopped for longer leaves them
# unmarked: their slot is over, there is nothing left to release).
NO_SHOW_LOOKBACK = timedelta(hours=24)


def _check_manages_space(*, actor: Actor, space_id: int) -> None:
    """Refuse (PermissionDenied, a 404) unless the actor may manage the space."""
    if is_platform(actor) or not spaces_manageable_by(actor).filter(pk=space_id).exists():
        raise PermissionDenied


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _setting_locked(space: Space, now: datetime) -> CheckInSetting:
    """The space's setting, locked (created with a fresh secret the first time)."""
    setting, _created = CheckInSetting.objects.select_for_update().get_or_create(
        space=space, defaults={"token": _new_token(), "token_created_at": now}
    )
    return setting


@transaction.atomic
def check_in_settings_set(
    *, space: Space, actor: User, required: bool, grace_minutes: int
) -> CheckInSetting:
    """Require check-in on `space` (or not) and set its grace period (5 to 120 minutes).
    Applies to the dates not yet past their grace period, booked before or after.
    Raises PermissionDenied unless the actor manages the space, ValidationError."""
    _check_manages_space(actor=actor, space_id=space.pk)
    if not GRACE_MINUTES_MIN <= grace_minutes <= GRACE_MINUTES_MAX:
        raise ValidationError(
            {
                "grace_minutes": _("Between %(min)s and %(max)s minutes.")
                % {"min": GRACE_MINUTES_MIN, "max": GRACE_MINUTES_MAX}
            }
        )
    setting = _setting_locked(space, timezone.now())
    setting.required = required
    setting.grace_minutes = grace_minutes
    setting.save(update_fields=["required", "grace_minutes", "updated_at"])
    return setting


@transaction.atomic
def check_in_token_rotate(*, space: Space, actor: User) -> CheckInSetting:
    """Give the space's door link a new secret: the printed QR codes stop working (a code
    photographed by someone who should not use it). Raises PermissionDenied."""
    _check_manages_space(actor=actor, space_id=space.pk)
    now = timezone.now()
    setting = _setting_locked(space, now)
    setting.token, setting.token_created_at = _new_token(), now
    setting.save(update_fields=["token", "token_created_at", "updated_at"])
    return setting


def _local(moment: datetime) -> str:
    return date_format(moment.astimezone(local_zone()), "SHORT_DATETIME_FORMAT")


@transaction.atomic
def booking_check_in(
    *,
    booking: Booking,
    actor: User,
    occurrence_start: datetime | None = None,
    now: datetime | None = None,
) -> Occupancy:
    """Check in the date of `booking` whose window is open now (or the date starting at
    `occurrence_start`) for `actor`, a member of its structure. Idempotent: a date already
    checked in is returned as it is.

    Raises PermissionDenied (404) for anyone but the structure's members, ValidationError for
    an unknown date, CheckInClosed (409) when the space asks for no check-in, the booking is
    not confirmed, or the date is outside its window or was released as a no-show."""
    now = now or timezone.now()
    if is_platform(actor) or not bookings_of_requester(actor).filter(pk=booking.pk).exists():
        raise PermissionDenied
    setting = CheckInSetting.objects.filter(space_id=booking.space_id, required=True).first()
    if setting is None:
        raise CheckInClosed(booking.status, _("This space does not ask for a check-in."))
    if booking.status != BookingStatus.CONFIRMED:
        raise CheckInClosed(booking.status, _("Only a confirmed booking can be checked in."))
    rows = booking.occupancies.filter(active=True).order_by("start", "pk")
    grace = timedelta(minutes=setting.grace_minutes)
    opens_before = timedelta(minutes=CHECK_IN_OPENS_BEFORE_MINUTES)
    if occurrence_start is not None:
        row = rows.filter(start=occurrence_start).first()
        if row is None:
            raise ValidationError(
                {"occurrence_start": _("There is no such date left in this booking.")}
            )
    else:
        # The date whose window is open; else one under way that was released as a no-show
        # (to say so rather than "nothing now").
        row = rows.filter(start__lte=now + opens_before, start__gt=now - grace).first()
        if row is None:
            under_way = rows.filter(start__lte=now, no_show_at__isnull=False).last()
            if under_way is not None and now < (under_way.booked_end or under_way.end):
                row = under_way
    if row is not None and row.checked_in_at is not None:
        return row
    if row is not None and row.no_show_at is not None:
        raise CheckInClosed(
            booking.status,
            _("Too late: nobody checked in by %(when)s, the rest of the slot was released.")
            % {"when": _local(row.start + grace)},
        )
    if row is None:
        raise CheckInClosed(
            booking.status,
            _(
                "No date of this booking can be checked in now: from %(before)s minutes before "
                "its start to %(grace)s minutes after it."
            )
            % {"before": CHECK_IN_OPENS_BEFORE_MINUTES, "grace": setting.grace_minutes},
        )
    opens, closes = check_in_window(
        start=row.start,
        grace_minutes=setting.grace_minutes,
        opens_before_minutes=CHECK_IN_OPENS_BEFORE_MINUTES,
    )
    if not opens <= now < closes:
        raise CheckInClosed(
            booking.status,
            _("This date can be checked in from %(opens)s to %(closes)s.")
            % {"opens": _local(opens), "closes": _local(closes)},
        )
    if not occupancy_check_in(row=row, at=now, by=actor):
        row.refresh_from_db()
        if row.checked_in_at is None:  # the job marked it a no-show meanwhile
            raise CheckInClosed(
                booking.status,
                _("Too late: nobody checked in by %(when)s, the rest of the slot was released.")
                % {"when": _local(closes)},
            )
        return row
    row.checked_in_at, row.checked_in_by = now, actor
    return row


def bookings_release_no_shows(*, now: datetime | None = None) -> int:
    """Mark the confirmed dates not checked in by the end of their grace period as no-shows and
    release the rest of their slot, each in its own transaction with its messages. Idempotent,
    and safe when two runs meet: a date is claimed before it is changed. Returns how many
    dates were marked."""
    now = now or timezone.now()
    release = release_moment(now)
    count = 0
    for pk, start, grace_minutes in check_in_candidates(now=now, lookback=NO_SHOW_LOOKBACK):
        if start + timedelta(minutes=grace_minutes) > now:
            continue
        with transaction.atomic():
            if not occupancy_release_no_show(row_id=pk, at=now, release=release):
                continue
            notifications.notify_no_show(occupancy_id=pk)
        count += 1
    if count:
        logger.info("No-shows: %s date(s) released.", count)
    return count


# --- A manager's word (follow-ups): an arrival recorded, a no-show cancelled ---------------


def _managed_date(
    *, booking: Booking, actor: User, occurrence_start: datetime | None, setting_needed: bool = True
) -> Occupancy:
    """The active date of `booking` starting at `occurrence_start`, for an impartial manager
    of its site (booking_check_decider: PermissionDenied 404 for who does not see it,
    DecisionNotAllowed or ConflictOfInterest 403 for a member of its structure who manages
    the site: the structure's own absences are not theirs to clear). CheckInClosed when the
    booking is not confirmed, or (`setting_needed`) the space asks for no check-in;
    ValidationError for an unknown date."""
    booking_check_decider(actor=actor, booking=booking)
    if (
        setting_needed
        and not CheckInSetting.objects.filter(space_id=booking.space_id, required=True).exists()
    ):
        raise CheckInClosed(booking.status, _("This space does not ask for a check-in."))
    if booking.status != BookingStatus.CONFIRMED:
        raise CheckInClosed(booking.status, _("Only a confirmed booking can be checked in."))
    row = None
    if occurrence_start is not None:
        row = booking.occupancies.filter(active=True, start=occurrence_start).first()
    if row is None:
        raise ValidationError(
            {"occurrence_start": _("There is no such date left in this booking.")}
        )
    return row


def _log(booking: Booking, row: Occupancy, actor: User, reason: str) -> None:
    BookingLog.objects.create(
        booking=booking,
        from_status=booking.status,
        to_status=booking.status,
        occurrence_start=row.start,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def booking_arrival_record(
    *, booking: Booking, actor: User, occurrence_start: datetime | None, now: datetime | None = None
) -> Occupancy:
    """Record, for the booking's structure, that it arrived on the date starting at
    `occurrence_start` (a caretaker saw them): from the opening of its check-in window to
    NO_SHOW_LOOKBACK after its start (after the fact too, as long as the job has not marked
    the date; a marked date is cancelled with `booking_no_show_undo`). The check-in is the
    manager's (`checked_in_by`) and the booking's history says so. Idempotent.

    Raises what `_managed_date` raises, and CheckInClosed before the window opens or once the
    date is marked a no-show."""
    now = now or timezone.now()
    row = _managed_date(booking=booking, actor=actor, occurrence_start=occurrence_start)
    if row.checked_in_at is not None:
        return row
    marked = _(
        "This date was marked a no-show: cancel the no-show instead (the released time is "
        "taken back if it is still free)."
    )
    if row.no_show_at is not None:
        raise CheckInClosed(booking.status, marked)
    opens = row.start - timedelta(minutes=CHECK_IN_OPENS_BEFORE_MINUTES)
    closes = row.start + NO_SHOW_LOOKBACK
    if not opens <= now < closes:
        raise CheckInClosed(
            booking.status,
            _("An arrival can be recorded from %(opens)s to %(closes)s.")
            % {"opens": _local(opens), "closes": _local(closes)},
        )
    if not occupancy_check_in(row=row, at=now, by=actor):
        row.refresh_from_db()
        if row.checked_in_at is None:  # the job marked it meanwhile
            raise CheckInClosed(booking.status, marked)
        return row
    _log(booking, row, actor, _("Arrival recorded by a manager."))
    row.checked_in_at, row.checked_in_by = now, actor
    return row


@dataclass(frozen=True)
class NoShowUndone:
    """What cancelling a no-show did: the date's row, whether part of its slot had been
    released, and whether that part was taken back (False: booked by others meanwhile, or
    its equipment lent)."""

    row: Occupancy
    released: bool
    taken_back: bool
    message: str


@transaction.atomic
def booking_no_show_undo(
    *, booking: Booking, actor: User, occurrence_start: datetime | None, now: datetime | None = None
) -> NoShowUndone:
    """Cancel the no-show mark of the date starting at `occurrence_start` (the structure was
    there after all): the mark is cleared and the arrival recorded as the manager's, so the
    job does not mark it again and the structure's count drops. The released part of the slot
    (`booked_end`) is taken back only if it is still free — no active row of the space over
    it and its buffer, and the equipment the date holds still in stock then —; else the row
    stays short and the message says why. Idempotent (a date no longer marked is returned as
    it is).

    Locks: the space first (the lock `booking_request` takes: an undo and a request for the
    freed part are serialised, the second sees the first's row), then the date, then the
    equipment items. On PostgreSQL the exclusion constraint has the last word on the room.
    Raises what `_managed_date` raises."""
    now = now or timezone.now()
    # A mark stays cancellable after the space stopped asking for check-in.
    row = _managed_date(
        booking=booking, actor=actor, occurrence_start=occurrence_start, setting_needed=False
    )
    space = Space.objects.select_for_update(of=("self",)).get(pk=booking.space_id)
    row = Occupancy.objects.select_for_update(of=("self",)).get(pk=row.pk)
    if row.no_show_at is None:
        return NoShowUndone(row=row, released=False, taken_back=False, message="")
    blocked_until = None
    reason = ""
    if row.booked_end is not None:
        until = row.booked_end + timedelta(minutes=space.buffer_minutes)
        taken = [
            other
            for _period, other in occupancy_clash_rows(
                space=space,
                periods=[Period(row.end, row.booked_end)],
                buffer=until - row.booked_end,
            )
            if other.pk != row.pk
        ]
        short_of = None if taken else equipment_short_to_lengthen(row=row, until=until)
        if taken:
            reason = _(
                "The released time (from %(from)s) was booked meanwhile: it stays with that "
                "booking."
            ) % {"from": _local(row.end)}
        elif short_of:
            reason = _(
                "The released time (from %(from)s) was not taken back: “%(name)s” was lent "
                "to others meanwhile."
            ) % {"from": _local(row.end), "name": short_of}
        else:
            blocked_until = until
    released = row.booked_end is not None
    taken_back = occupancy_undo_no_show(
        row_id=row.pk, at=now, by=actor, blocked_until=blocked_until
    )
    if released and not taken_back and not reason:  # refused by the constraint
        reason = _(
            "The released time (from %(from)s) was booked meanwhile: it stays with that booking."
        ) % {"from": _local(row.end)}
    if taken_back:
        message = _("The no-show is cancelled and the released time is the structure's again.")
    elif released:
        message = _("The no-show is cancelled, but not the release: %(reason)s") % {
            "reason": reason
        }
    else:
        message = _("The no-show is cancelled.")
    _log(booking, row, actor, message)
    row.refresh_from_db()
    return NoShowUndone(row=row, released=released, taken_back=taken_back, message=message)
