"""Writes on bookings, closures and occupancy. The only code that writes Occupancy rows."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.selectors import organisations_allowed_to_book_for
from bookings import calendars, ics, notifications, signals
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.models import (
    OCCUPYING,
    REASON_REQUIRED,
    TRANSITIONS,
    Booking,
    BookingLog,
    BookingStatus,
    CalendarFeed,
    Closure,
    Frequency,
    Occupancy,
    OccupancyKind,
)
from bookings.rules import NonExistentLocalTimeError, Period, french_public_holidays, local_period
from bookings.selectors import closure_targets_and_hits, local_zone, occupancies_clashing
from core.workflow import status_change
from spaces.models import Site, SiteStatus, Space, SpaceStatus
from spaces.rules import within_opening_hours

# A request nobody decided on lapses after this long (or when its first date starts).
PENDING_LAPSE = timedelta(days=10)


@dataclass(frozen=True)
class BookingRequest:
    space: Space
    organisation: Organisation
    purpose: str
    attendees: int
    first: Period
    frequency: str = Frequency.ONCE
    repeat_until: date | None = None
    repeat_count: int | None = None
    skip_conflicts: bool = False


def _local(value: datetime) -> str:
    return date_format(value.astimezone(local_zone()), "DATETIME_FORMAT")


def _check_requester(request: BookingRequest, user: User) -> None:
    if not organisations_allowed_to_book_for(user).filter(pk=request.organisation.pk).exists():
        raise ValidationError(
            {
                "organisation": _(
                    "This organisation may not request space: it is not yours, or the "
                    "intercommunality has not verified it yet."
                )
            }
        )


def _check_space(request: BookingRequest) -> None:
    space = request.space
    errors: dict[str, str] = {}
    if not space.bookable or space.status != SpaceStatus.AVAILABLE:
        errors["space"] = _("This space cannot be booked by the hour or day.")
    elif space.site.status != SiteStatus.OPEN:
        errors["space"] = _("The building is not open at the moment.")
    elif request.organisation.kind not in space.allowed_organisation_kinds:
        errors["space"] = _("This space is not open to bookings by your kind of organisation.")
    limit = min(filter(None, [space.capacity, space.site.max_occupancy]))
    if request.attendees < 1:
        errors["attendees"] = _("There must be at least one attendee.")
    elif request.attendees > limit:
        errors["attendees"] = _("At most %(limit)s people may attend in this space.") % {
            "limit": limit
        }
    if not request.purpose.strip():
        errors["purpose"] = _("Say what the booking is for.")
    if errors:
        raise ValidationError(errors)


def _check_series_fields(request: BookingRequest) -> None:
    if request.frequency == Frequency.ONCE:
        if request.repeat_until is not None or request.repeat_count is not None:
            raise ValidationError(
                {
                    "frequency": _(
                        "Choose how the booking repeats, or leave out the end of the series."
                    )
                }
            )
        return
    if (request.repeat_until is None) == (request.repeat_count is None):
        raise ValidationError(
            {"repeat_until": _("For a series, give either an end date or a number of times.")}
        )
    if request.repeat_count is not None and request.repeat_count < 2:
        raise ValidationError({"repeat_count": _("A series repeats at least twice.")})
    if request.repeat_until is not None and request.repeat_until < request.first.start.date():
        raise ValidationError({"repeat_until": _("The end date is before the first date.")})
    # Checked exactly against the 12-month horizon later; this bound keeps the date arithmetic
    # from overflowing (repeat_until=9999-12-31 was a 500).
    far_beyond_horizon = request.first.start.date() + timedelta(days=400)
    if request.repeat_until is not None and request.repeat_until > far_beyond_horizon:
        raise ValidationError({"repeat_until": _("A series may not run for more than 12 months.")})


def _check_period(space: Space, period: Period, now: datetime, *, field: str) -> None:
    """The rules of the space for one occurrence; errors name `field`."""
    zone = local_zone()
    minutes = period.elapsed.total_seconds() / 60
    if period.start < now:
        raise ValidationError(
            {field: _("%(when)s is in the past.") % {"when": _local(period.start)}}
        )
    if minutes < space.min_booking_minutes:
        raise ValidationError(
            {
                "end": _("A booking lasts at least %(n)s minutes here.")
                % {"n": space.min_booking_minutes}
            }
        )
    if minutes > space.max_booking_minutes:
        raise ValidationError(
            {
                "end": _("A booking lasts at most %(n)s minutes here.")
                % {"n": space.max_booking_minutes}
            }
        )
    if period.start < now + timedelta(hours=space.min_notice_hours):
        raise ValidationError(
            {field: _("Book at least %(n)s hours ahead.") % {"n": space.min_notice_hours}}
        )
    if period.start > now + timedelta(days=space.max_advance_days):
        raise ValidationError(
            {
                field: _("%(when)s is more than %(n)s days ahead.")
                % {"when": _local(period.start), "n": space.max_advance_days}
            }
        )
    hours = [(h.weekday, h.opens, h.closes) for h in space.opening_hours.all()]
    if not within_opening_hours(
        local_start=period.start.astimezone(zone).replace(tzinfo=None),
        local_end=period.end.astimezone(zone).replace(tzinfo=None),
        hours=hours,
    ):
        raise ValidationError(
            {
                field: _("%(when)s is outside the opening hours of the space.")
                % {"when": _local(period.start)}
            }
        )


def _series_until(request: BookingRequest) -> datetime | None:
    if request.repeat_until is None:
        return None
    return datetime.combine(request.repeat_until + timedelta(days=1), time(0), tzinfo=local_zone())


def _insert_occupancy(
    rows: list[Occupancy], clashes_if_refused: list[tuple[Period, Period]]
) -> None:
    try:
        with transaction.atomic():  # a savepoint keeps the outer transaction usable
            Occupancy.objects.bulk_create(rows)
    except IntegrityError as exc:  # a writer that did not take the space lock
        raise BookingConflict(clashes_if_refused) from exc


@transaction.atomic
def booking_request(
    *, request: BookingRequest, requested_by: User, now: datetime | None = None
) -> Booking:
    """Request a slot or a series. Confirmed at once if the space says so, else pending.

    Raises ValidationError (naming the field) for bad input or rules, BookingConflict with the
    clashing periods unless `skip_conflicts` drops the clashing dates of a series.
    """
    now = now or timezone.now()
    _check_requester(request, requested_by)
    _check_space(request)
    _check_series_fields(request)
    _check_period(request.space, request.first, now, field="start")
    # Serialise writers on this space: the constraint guarantees, the lock gives a clean 409.
    space = Space.objects.select_for_update().select_related("site").get(pk=request.space.pk)
    bookings_expire_lapsed(now=now, space=space)
    spec = calendars.SeriesSpec(
        first=request.first,
        frequency=request.frequency,
        until=_series_until(request),
        count=request.repeat_count,
    )
    try:
        event, periods = calendars.series_create(
            calendar_key=space.pk, title=request.purpose, spec=spec, zone=local_zone()
        )
    except NonExistentLocalTimeError as exc:
        raise ValidationError({"start": _nonexistent_message(exc)}) from exc
    except calendars.SeriesTooLongError as exc:
        field = "repeat_count" if request.repeat_count else "repeat_until"
        raise ValidationError({field: _("A series may not run for more than 12 months.")}) from exc
    for period in periods[1:]:
        _check_period(space, period, now, field="repeat_until")
    clashes = _clashes(space, periods)
    if clashes:
        clashing = {requested for requested, _occupied in clashes}
        if (
            not request.skip_conflicts
            or request.frequency == Frequency.ONCE
            or len(clashing) == len(periods)
        ):
            raise BookingConflict(clashes)
        for period in clashing:
            calendars.occurrence_cancel(event=event, period=period)
        periods = [period for period in periods if period not in clashing]
    status = BookingStatus.CONFIRMED if space.instant_confirmation else BookingStatus.PENDING
    booking = Booking.objects.create(
        space=space,
        organisation=request.organisation,
        requested_by=requested_by,
        purpose=request.purpose.strip(),
        attendees=request.attendees,
        status=status,
        start=request.first.start,
        end=request.first.end,
        frequency=request.frequency,
        repeat_until=request.repeat_until,
        repeat_count=request.repeat_count,
        event=event,
        lapses_at=min(periods[0].start, now + PENDING_LAPSE)
        if status == BookingStatus.PENDING
        else None,
    )
    buffer = timedelta(minutes=space.buffer_minutes)
    _insert_occupancy(
        [
            Occupancy(
                space=space,
                start=period.start,
                end=period.end,
                blocked_until=period.end + buffer,
                kind=OccupancyKind.BOOKING,
                booking=booking,
            )
            for period in periods
        ],
        clashes_if_refused=[(period, period) for period in periods],
    )
    BookingLog.objects.create(booking=booking, to_status=status, actor=requested_by)
    transaction.on_commit(
        lambda: signals.booking_status_changed.send(
            sender=Booking, booking_id=booking.pk, from_status="", to_status=status
        )
    )
    notifications.on_commit(
        booking, "requested" if status == BookingStatus.PENDING else "confirmed"
    )
    return booking


def booking_request_preview(
    *, request: BookingRequest, requested_by: User, now: datetime | None = None
) -> list[Period]:
    """The dates `booking_request` would book, without booking them: the real request, rolled
    back (so every rule, the series expansion and the clash check are the same; no e-mail or
    signal leaves, as they wait for a commit). Raises what `booking_request` raises."""
    with transaction.atomic():
        booking = booking_request(request=request, requested_by=requested_by, now=now)
        periods = [
            Period(start, end)
            for start, end in booking.occupancies.filter(active=True)
            .order_by("start")
            .values_list("start", "end")
        ]
        transaction.set_rollback(True)
    return periods


def _clashes(space: Space, periods: list[Period]) -> list[tuple[Period, Period]]:
    buffer = timedelta(minutes=space.buffer_minutes)
    clashes = []
    for occupancy in occupancies_clashing(space=space, periods=periods):
        occupied = Period(occupancy.start, occupancy.blocked_until)
        for period in periods:
            if Period(period.start, period.end + buffer).overlaps(occupied):
                clashes.append((period, Period(occupancy.start, occupancy.end)))
    return clashes


def _nonexistent_message(exc: NonExistentLocalTimeError) -> str:
    return _(
        "%(time)s does not exist on %(date)s in France: clocks go forward that night. "
        "Choose another time."
    ) % {
        "time": exc.local.strftime("%H:%M"),
        "date": date_format(exc.local.date(), "SHORT_DATE_FORMAT"),
    }


def _booking_transition(*, booking: Booking, to: str, actor: User | None, reason: str = "") -> bool:
    """Change the status (core.workflow.status_change), log it, free the slots if it no longer
    occupies them. Returns False if the booking was already there. Must run inside atomic()."""

    def reason_given() -> None:
        if to in REASON_REQUIRED and not reason.strip():
            raise ValidationError({"reason": _("Give a reason: it is sent to the requester.")})

    from_status = status_change(
        booking, to=to, transitions=TRANSITIONS, error=InvalidTransition, check=reason_given
    )
    if from_status is None:
        return False
    BookingLog.objects.create(
        booking=booking, from_status=from_status, to_status=to, actor=actor, reason=reason.strip()
    )
    transaction.on_commit(
        lambda: signals.booking_status_changed.send(
            sender=Booking, booking_id=booking.pk, from_status=from_status, to_status=to
        )
    )
    if to not in OCCUPYING:
        booking.occupancies.filter(active=True).update(active=False, cancelled_at=timezone.now())
    return True


@transaction.atomic
def booking_approve(*, booking: Booking, actor: User) -> bool:
    changed = _booking_transition(booking=booking, to=BookingStatus.CONFIRMED, actor=actor)
    if changed:
        notifications.on_commit(booking, "approved")
    return changed


@transaction.atomic
def booking_refuse(*, booking: Booking, actor: User, reason: str) -> bool:
    changed = _booking_transition(
        booking=booking, to=BookingStatus.REFUSED, actor=actor, reason=reason
    )
    if changed:
        notifications.on_commit(booking, "refused")
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
    actor: User | None,
    reason: str,
    as_manager: bool,
    occurrence_start: datetime | None = None,
    and_following: bool = False,
    now: datetime | None = None,
) -> int:
    """Cancel a booking, one date of a series, or that date and the following ones.

    Requesters must respect the space's cancellation notice; managers need not, nor does the
    platform (`actor` None: a fee unpaid by its deadline). Returns the number of dates
    cancelled. Raises ValidationError (no reason, too late, unknown date).
    """
    now = now or timezone.now()
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
            calendars.occurrence_cancel(event=booking.event, period=Period(row.start, row.end))
            BookingLog.objects.create(
                booking=booking,
                from_status=booking.status,
                to_status=BookingStatus.CANCELLED,
                occurrence_start=row.start,
                actor=actor,
                reason=reason.strip(),
            )
        Occupancy.objects.filter(pk__in=[row.pk for row in rows]).update(
            active=False, cancelled_at=now
        )
    notifications.on_commit(booking, "cancelled", dates=[row.start for row in rows], reason=reason)
    cancelled = [(row.start, row.end) for row in rows]
    transaction.on_commit(
        lambda: signals.booking_cancelled.send(
            sender=Booking,
            booking_id=booking.pk,
            occurrences=cancelled,
            whole=whole,
            actor_id=actor.pk if actor else None,
            as_manager=as_manager,
        )
    )
    return len(rows)


def bookings_expire_lapsed(*, now: datetime | None = None, space: Space | None = None) -> int:
    """Lapse pending requests nobody decided in time, freeing their slots."""
    now = now or timezone.now()
    lapsed = Booking.objects.filter(status=BookingStatus.PENDING, lapses_at__lte=now)
    if space is not None:
        lapsed = lapsed.filter(space=space)
    count = 0
    for booking in lapsed.order_by("pk"):
        with transaction.atomic():
            if _booking_transition(booking=booking, to=BookingStatus.LAPSED, actor=None):
                count += 1
                notifications.on_commit(booking, "lapsed")
    return count


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
    unless `cancel_bookings`, which cancels those dates with the closure's reason."""
    if (site is None) == (space is None):
        raise ValueError("Close either a site or a space")
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
            as_manager=True,
            occurrence_start=row.start,
        )
    closure = Closure.objects.create(
        site=site,
        space=space,
        start=period.start,
        end=period.end,
        reason=reason.strip(),
        created_by=actor,
    )
    _insert_occupancy(
        [
            Occupancy(
                space=target,
                start=period.start,
                end=period.end,
                blocked_until=period.end,
                kind=OccupancyKind.CLOSURE,
                closure=closure,
            )
            for target in spaces
        ],
        clashes_if_refused=[(period, period)],
    )
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure) -> None:
    closure.delete()  # its Occupancy rows go with it (CASCADE)


def closures_add_public_holidays(*, actor: User, site: Site, year: int) -> list[Closure]:
    """Close a site on the French public holidays of `year` that do not hit any booking."""
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


def bookings_send_reminders(*, now: datetime | None = None) -> int:
    """E-mail the requester the day before each confirmed date; each date is reminded once."""
    now = now or timezone.now()
    zone = local_zone()
    tomorrow = (now.astimezone(zone) + timedelta(days=1)).date()
    window = local_period(tomorrow, time(0), time(0), zone)
    sent = 0
    due = Occupancy.objects.filter(
        kind=OccupancyKind.BOOKING,
        active=True,
        booking__status=BookingStatus.CONFIRMED,
        start__gte=window.start,
        start__lt=window.end,
        reminder_sent_at__isnull=True,
    ).select_related("booking")
    for row in due:
        with transaction.atomic():
            # Claim the row first, so two runs at once cannot both send it.
            claimed = Occupancy.objects.filter(pk=row.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if claimed:
                notifications.on_commit(row.booking, "reminder", occurrence_start=row.start)
                sent += 1
    return sent


# --- Calendar subscriptions (ICS feeds behind secret URLs) ---


def calendar_feed_create(
    *, user: User, scope: str, target: Space | Site | Organisation
) -> CalendarFeed:
    """Give the user a new secret feed URL for a space or a site they manage, or one of their
    organisations. Raises PermissionDenied otherwise, ValueError if `target` is not of `scope`.
    """
    expected = {
        CalendarFeed.Scope.SPACE: Space,
        CalendarFeed.Scope.SITE: Site,
        CalendarFeed.Scope.ORGANISATION: Organisation,
    }
    if scope not in expected or not isinstance(target, expected[scope]):
        raise ValueError("The target does not match the scope of the feed")
    if not user.is_active or not ics.feed_target_allowed(
        user=user, scope=scope, target_id=target.pk
    ):
        raise PermissionDenied(_("You may not subscribe to this calendar."))
    # 32 random bytes (256 bits): the URL is the only secret, so it must not be guessable.
    return CalendarFeed.objects.create(
        scope=scope,
        created_by=user,
        token=secrets.token_urlsafe(32),
        **{scope: target},
    )


def calendar_feed_revoke(*, feed: CalendarFeed, user: User) -> bool:
    """Stop a feed at once; idempotent (already revoked → False). Only its creator may.

    Raises PermissionDenied for anyone else.
    """
    if feed.created_by_id != user.pk:
        raise PermissionDenied(_("Only the person who created this subscription may revoke it."))
    # A conditional UPDATE: two clicks at once revoke once and keep the first date.
    revoked = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return revoked == 1
