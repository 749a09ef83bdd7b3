"""Booking requests: a slot or a series checked against the rules of the space, the clash check,
the rolled-back preview of the dates a request would book, and the lapse of pending requests
nobody decided in time. The Occupancy rows are written by `bookings.services.occupancy`."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM
from accounts.models import ApiToken, Organisation, User
from accounts.selectors import organisations_allowed_to_book_for, token_organisation_id
from bookings import notifications, scheduler, signals
from bookings.exceptions import BookingConflict
from bookings.models import (
    Booking,
    BookingLog,
    BookingStatus,
    Frequency,
    Occupancy,
    OccupancyKind,
    RequestQuestion,
    SharingWindow,
    SharingWindowStatus,
    Waiver,
)
from bookings.rules import NonExistentLocalTimeError, Period
from bookings.selectors import local_zone, occupancy_clash_rows, quota_on_site
from bookings.selectors.sharing import sharing_window_for, sharing_windows_active_on
from bookings.services.behalf import booking_behalf
from bookings.services.conditions import _answers_write, _conditions_check
from bookings.services.decisions import _booking_transition
from bookings.services.equipment import equipment_book
from bookings.services.occupancy import occupancies_book
from bookings.services.quotas import quotas_check
from core.compiled import CompiledQuery
from core.formats import day_text, time_text
from core.signals import status_changed_in_transaction
from spaces.models import SiteStatus, Space, SpaceStatus
from spaces.rules import opening_hours_of_day, within_opening_hours
from spaces.selectors import open_to_kind, site_visible_to

# A request nobody decided on lapses after this long (or when its first date starts).
PENDING_LAPSE = timedelta(days=10)


@dataclass(frozen=True)
class BookingRequest:
    """What is asked. `space` and `organisation` may be given as ids: `booking_request` reads
    both itself, under its lock and within what the requester may see and book for (an object
    given is used for its id only)."""

    space: Space | int
    organisation: Organisation | int
    purpose: str
    attendees: int
    first: Period
    frequency: str = Frequency.ONCE
    repeat_until: date | None = None
    repeat_count: int | None = None
    skip_conflicts: bool = False
    # Issue 16: the answers to the space's questions by question id (bookings.services.
    # conditions), and whether the requester accepts its house rules.
    answers: Mapping[int, object] | None = None
    house_rules_accepted: bool = False
    # Equipment of the space's site held with each date: (equipment id, quantity) pairs.
    equipment: tuple[tuple[int, int], ...] = ()
    # Booking on behalf (bookings.services.behalf): the rules an agent waives (Waiver values),
    # and whether they approve the request at once.
    waive: frozenset[str] = field(default_factory=frozenset)
    approve: bool = False

    @property
    def space_id(self) -> int:
        return self.space if isinstance(self.space, int) else self.space.pk

    @property
    def organisation_id(self) -> int:
        return self.organisation if isinstance(self.organisation, int) else self.organisation.pk


@dataclass(frozen=True)
class BookingWritten:
    """The rows `booking_request` wrote with a booking: its dates (by start) and its log."""

    occupancies: list[Occupancy]
    log: list[BookingLog]


def _local(value: datetime) -> str:
    return date_format(value.astimezone(local_zone()), "DATETIME_FORMAT")


# What the messages and the answer use of the requesting organisation, read with the lock (any
# other field would be read on first use).
_ORGANISATION_FIELDS = ("name", "kind", "verified_at")


@dataclass(frozen=True)
class _Locked:
    space: Space
    organisation: Organisation | None  # None: not one the requester may book for
    hours: list[tuple[int, time, time]]  # (weekday, opens, closes), Monday = 0; none: always


def _locked_space(
    *, space: int, organisation: int, user: int, scoped: int | None = None
) -> QuerySet[Space]:
    """The query of `_space_locked`: the space locked, with its site and opening hours, and the
    organisation's fields if the user (`scoped`: their API token's organisation) may book for
    it."""
    requester = User(pk=user)
    if scoped is not None:  # as api.authentication puts the token on the user
        requester.api_token = ApiToken(organisation_id=scoped)
    allowed = organisations_allowed_to_book_for(requester).filter(pk=organisation)
    return (
        Space.objects.select_for_update(of=("self",))
        .select_related("site", "site__commune", "site__owner")
        .annotate(
            **{
                f"organisation_{name}": Subquery(allowed.values(name)[:1])
                for name in _ORGANISATION_FIELDS
            },
            hours_weekday=F("opening_hours__weekday"),
            hours_opens=F("opening_hours__opens"),
            hours_closes=F("opening_hours__closes"),
            quota_on_site=quota_on_site(),
            # Issue 17: the occupant of an agreement shares this room at some times; only
            # then is the window a request falls in looked for.
            shared=Exists(
                SharingWindow.objects.filter(
                    space=OuterRef("pk"), status=SharingWindowStatus.ACTIVE
                )
            ),
            # Issue 18: the questions are read only for a space that asks some (most do not).
            asks_questions=Exists(RequestQuestion.objects.filter(space=OuterRef("pk"))),
        )
        .filter(pk=space)
        .order_by("opening_hours__weekday", "opening_hours__opens")
    )


# Compiled once per process, for a session (or a token for all the user's organisations) and
# for a token scoped to one organisation: compiling took 8 of the creation's 40 ms
# (docs/decisions.md, issue 18).
# Prepared too (found by primary key: its plan cannot depend on the values): PostgreSQL planned
# it in ~0.8 ms at every request, and runs it in ~0.3 ms.
_LOCKED_SPACE = CompiledQuery(_locked_space, prepare=True, space=int, organisation=int, user=int)
_LOCKED_SPACE_SCOPED = CompiledQuery(
    _locked_space, prepare=True, space=int, organisation=int, user=int, scoped=int
)


def _space_locked(request: BookingRequest, user: User) -> _Locked:
    """Lock the requested space (writers on it are serialised: the constraint guarantees, the
    lock gives a clean 409) and read, in the same query, what the checks need: its site (with
    what the messages name), its opening hours (a LEFT JOIN: one row per window), and the
    organisation if `user` may request for it (`organisations_allowed_to_book_for`).

    Raises ValidationError naming `space` when there is no such space for `user` (what one may
    not see does not exist: the same answer for a space of an unpublished site)."""
    ids = {"space": request.space_id, "organisation": request.organisation_id, "user": user.pk}
    scoped = token_organisation_id(user)
    if scoped is None:
        space, rows = _LOCKED_SPACE.run_joined(**ids)
    else:
        space, rows = _LOCKED_SPACE_SCOPED.run_joined(**ids, scoped=scoped)
    if space is None or not site_visible_to(user, space.site):
        raise ValidationError({"space": _("This space does not exist.")})
    organisation = None
    if space.organisation_kind is not None:
        fields = [
            field.attname
            for field in Organisation._meta.concrete_fields
            if field.attname == "id" or field.attname in _ORGANISATION_FIELDS
        ]
        # In the model's field order, as from_db expects; the other fields are deferred.
        organisation = Organisation.from_db(
            space._state.db,
            fields,
            [
                request.organisation_id if name == "id" else getattr(space, f"organisation_{name}")
                for name in fields
            ],
        )
    hours = [
        (row["hours_weekday"], row["hours_opens"], row["hours_closes"])
        for row in rows
        if row["hours_weekday"] is not None
    ]
    return _Locked(space=space, organisation=organisation, hours=hours)


def _check_requester(locked: _Locked) -> None:
    if locked.organisation is None:
        raise ValidationError(
            {
                "organisation": _(
                    "This organisation may not request space: it is not yours, or the "
                    "intercommunality has not verified it yet."
                )
            }
        )


def _check_space(request: BookingRequest, space: Space, organisation: Organisation) -> None:
    errors: dict[str, str] = {}
    if not space.bookable or space.status != SpaceStatus.AVAILABLE:
        errors["space"] = _("This space cannot be booked by the hour or day.")
    elif space.site.status != SiteStatus.OPEN:
        errors["space"] = _("The building is not open at the moment.")
    elif not open_to_kind(space, organisation.kind):
        errors["space"] = _(
            "This space is reserved to: %(kinds)s. Your organisation cannot request it; "
            "search for another space open to it."
        ) % {"kinds": ", ".join(space.booking_kind_labels) or _("nobody at the moment")}
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


def _check_period(
    space: Space,
    period: Period,
    now: datetime,
    *,
    field: str,
    hours: list[tuple[int, time, time]],
    waive: frozenset[str] = frozenset(),
) -> None:
    """The rules of the space for one occurrence (`hours`: its opening hours; `waive`: the
    rules an agent booking on behalf waived, `Waiver`); errors name `field`."""
    zone = local_zone()
    minutes = period.elapsed.total_seconds() / 60
    if period.start < now:
        raise ValidationError(
            {
                field: _("This date is past (%(when)s): choose a date to come.")
                % {"when": _local(period.start)}
            }
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
    if Waiver.MIN_NOTICE not in waive and period.start < now + timedelta(
        hours=space.min_notice_hours
    ):
        raise ValidationError(
            {field: _("Book at least %(n)s hours ahead.") % {"n": space.min_notice_hours}}
        )
    if Waiver.MAX_ADVANCE not in waive and period.start > now + timedelta(
        days=space.max_advance_days
    ):
        raise ValidationError(
            {
                field: _("%(when)s is more than %(n)s days ahead.")
                % {"when": _local(period.start), "n": space.max_advance_days}
            }
        )
    local_start = period.start.astimezone(zone)
    if not within_opening_hours(
        local_start=local_start.replace(tzinfo=None),
        local_end=period.end.astimezone(zone).replace(tzinfo=None),
        hours=hours,
    ):
        raise ValidationError(
            {
                field: _("%(when)s is outside the opening hours: the space is %(hours)s.")
                % {
                    "when": _local(period.start),
                    "hours": opening_hours_of_day(local_start.weekday(), hours),
                }
            }
        )


def _sharing_window(space: Space, periods: list[Period]) -> SharingWindow | None:
    """The shared time of an agreement (issue 17) that holds every date asked, if the room has
    any (`shared`, read with the lock); a request with some dates in one and others outside
    it is refused: a booking in a shared time fits entirely inside it."""
    if not getattr(space, "shared", False):
        return None
    window, partly = sharing_window_for(space_id=space.pk, periods=periods)
    if window is None and partly:
        raise ValidationError(
            {
                "repeat_until": _(
                    "Some of these dates fall in the time the room's occupant shares and "
                    "others outside it: a booking there must fit entirely within that time."
                )
            }
        )
    return window


def _shared_times_text(windows: list[SharingWindow]) -> str:
    return ", ".join(
        _("%(day)s from %(start)s to %(end)s")
        % {
            "day": window.get_weekday_display().lower(),
            "start": time_text(window.start_time),
            "end": time_text(window.end_time),
        }
        for window in windows
    )


def _allocation_clash_reason(row: Occupancy, day: str) -> str:
    """An agreement's row in the way: its occupant's own use comes first. When the occupant
    shares the room at some times (issue 17), the message names the occupant's agreement and
    those times."""
    windows = [
        window
        for window in sharing_windows_active_on(space_id=row.space_id)
        if window.allocation_id == row.allocation_id
    ]
    if not windows:
        return _(
            "The space is let under a long-term agreement at that time (%(day)s). Choose "
            "another space or another date."
        ) % {"day": day}
    allocation = windows[0].allocation
    return _(
        "The room is let to %(occupant)s under its occupancy agreement no. %(number)s, and "
        "its own use comes first at that time (%(day)s). It lends the room to other "
        "structures only on: %(times)s. Choose one of these times, another space or another "
        "date."
    ) % {
        "occupant": allocation.structure.name,
        "number": allocation.pk,
        "day": day,
        "times": _shared_times_text(windows),
    }


def _clash_reason(requested: Period, row: Occupancy, buffer: timedelta) -> str:
    """Why `row` blocks `requested`, in local time and plain words: a closure by its name, a
    booking or an agreement by its slot, the gap between bookings when only that clashes."""
    zone = local_zone()
    start, end = row.start.astimezone(zone), row.end.astimezone(zone)
    if row.kind == OccupancyKind.CLOSURE:
        last_day = (end - timedelta(microseconds=1)).date()
        days = (
            day_text(start.date())
            if last_day == start.date()
            else _("from %(first)s to %(last)s")
            % {
                "first": day_text(start.date()),
                "last": day_text(last_day, year=True),
            }
        )
        reason = row.closure.reason if row.closure else ""
        return _("Closed: %(reason)s (%(days)s). Choose another date.") % {
            "reason": reason or _("closure"),
            "days": days,
        }
    if row.kind == OccupancyKind.ALLOCATION:
        return _allocation_clash_reason(row, day_text(start.date()))
    slot = {
        "day": day_text(start.date()),
        "start": time_text(start.time()),
        "end": time_text(end.time()),
    }
    if requested.start < row.end and row.start < requested.end:
        return _("Already booked on %(day)s from %(start)s to %(end)s. Choose another time.") % slot
    return _(
        "Booked on %(day)s from %(start)s to %(end)s, and this space keeps %(minutes)s minutes "
        "free between two bookings. Start or end your booking further away."
    ) % {**slot, "minutes": int(buffer.total_seconds() // 60)}


def _clash_rows_now(
    *, space: Space, periods: list[Period], buffer: timedelta, now: datetime
) -> list[tuple[Period, Occupancy]]:
    """The active rows of `space` that `periods` clash with (`occupancy_clash_rows`), once the
    overdue requests in the way have lapsed. Must run under the space's lock."""
    clash_rows = occupancy_clash_rows(space=space, periods=periods, buffer=buffer)
    if any(_lapsed(row, now) for _requested, row in clash_rows):
        # A request nobody decided in time still holds its slot until it lapses: lapse this
        # space's overdue requests now (the periodic job does it for the others), then look
        # again. Only when one is in the way, so a free slot costs no query for it.
        bookings_expire_lapsed(now=now, space=space)
        clash_rows = occupancy_clash_rows(space=space, periods=periods, buffer=buffer)
    return clash_rows


def _conflict(clash_rows: list[tuple[Period, Occupancy]], buffer: timedelta) -> BookingConflict:
    """The BookingConflict naming each clash of `clash_rows` in plain words."""
    clashes = [(requested, Period(row.start, row.end)) for requested, row in clash_rows]
    reasons = [_clash_reason(requested, row, buffer) for requested, row in clash_rows]
    return BookingConflict(clashes, message=reasons[0], reasons=reasons)


def _series_until(request: BookingRequest) -> datetime | None:
    if request.repeat_until is None:
        return None
    return datetime.combine(request.repeat_until + timedelta(days=1), time(0), tzinfo=local_zone())


@transaction.atomic
def booking_request(
    *,
    request: BookingRequest,
    requested_by: User,
    now: datetime | None = None,
    grouped: bool = False,
) -> Booking:
    """Request a slot or a series. Confirmed at once if the space says so, else pending.

    `grouped`: one room of a request for several (`bookings.services.groups`, which locked
    every room first, puts the bookings in their group and tells people once for the group: no
    message is written here).
    Raises ValidationError (naming the field) for bad input or rules, BookingConflict with the
    clashing periods unless `skip_conflicts` drops the clashing dates of a series.
    """
    now = now or timezone.now()
    locked = _space_locked(request, requested_by)
    behalf = booking_behalf(
        organisation_id=request.organisation_id,
        waive=request.waive,
        approve=request.approve,
        agent=requested_by,
        space=locked.space,
        own=locked.organisation,
    )
    if behalf.on_behalf:
        locked = replace(locked, organisation=behalf.organisation)
    _check_requester(locked)
    space, organisation, hours = locked.space, locked.organisation, locked.hours
    _check_space(request, space, organisation)
    _check_series_fields(request)
    _check_period(space, request.first, now, field="start", hours=hours, waive=behalf.waive)
    conditions = _conditions_check(
        space=space,
        answers=request.answers,
        house_rules_accepted=request.house_rules_accepted,
        now=now,
        asks_questions=space.asks_questions,
    )
    spec = scheduler.SeriesSpec(
        first=request.first,
        frequency=request.frequency,
        until=_series_until(request),
        count=request.repeat_count,
    )
    try:
        event, periods = scheduler.series_create(
            calendar_key=space.pk, title=request.purpose, spec=spec, zone=local_zone()
        )
    except NonExistentLocalTimeError as exc:
        raise ValidationError({"start": _nonexistent_message(exc)}) from exc
    except scheduler.SeriesTooLongError as exc:
        field = "repeat_count" if request.repeat_count else "repeat_until"
        raise ValidationError({field: _("A series may not run for more than 12 months.")}) from exc
    for period in periods[1:]:
        _check_period(space, period, now, field="repeat_until", hours=hours, waive=behalf.waive)
    buffer = timedelta(minutes=space.buffer_minutes)
    clash_rows = _clash_rows_now(space=space, periods=periods, buffer=buffer, now=now)
    clashes = [(requested, Period(row.start, row.end)) for requested, row in clash_rows]
    if clashes:
        clashing = {requested for requested, _occupied in clashes}
        if (
            not request.skip_conflicts
            or request.frequency == Frequency.ONCE
            or len(clashing) == len(periods)
        ):
            raise _conflict(clash_rows, buffer)
        for period in clashing:
            scheduler.occurrence_cancel(event=event, period=period)
        periods = [period for period in periods if period not in clashing]
    window = _sharing_window(space, periods)
    # Confirmed at once on a space that says so, or by an agent booking on behalf, unless the
    # approval must wait for a file (bookings.services.conditions: the insurance certificate)
    # or the room is lent by its occupant (issue 17: the occupant or the manager decides).
    status = (
        BookingStatus.CONFIRMED
        if (space.instant_confirmation or behalf.approve)
        and not conditions.awaits_files
        and window is None
        else BookingStatus.PENDING
    )
    quotas_check(
        space=space,
        organisation=organisation,
        periods=periods,
        pending=status == BookingStatus.PENDING,
        now=now,
    )
    booking = Booking.objects.create(
        space=space,
        organisation=organisation,
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
        house_rules_accepted_at=conditions.house_rules_accepted_at,
        sharing_window=window,
        **behalf.booking_fields(),
    )
    booking.organisation = organisation
    booking.requested_by = requested_by
    # checked: the space is locked and clash_rows found nothing in this transaction.
    rows = occupancies_book(booking=booking, periods=periods, checked=True)
    # Equipment (issue 16): its items locked, their peak use checked, held by each date.
    equipment_book(booking=booking, rows=rows, asked=request.equipment)
    log = BookingLog.objects.create(
        booking=booking,
        to_status=status,
        actor=requested_by,
        reason=behalf.log_reason(requested_by),
    )
    _answers_write(booking=booking, checked=conditions, actor=requested_by)
    # What was written, for a caller that answers with the booking as it is now without
    # reading it back (the API's 201); not a cache: later changes do not update it.
    booking.written = BookingWritten(occupancies=rows, log=[log])
    status_changed_in_transaction.send(
        sender=Booking, pk=booking.pk, from_status="", to_status=status
    )
    # robust: the change is committed; a listener failing now is logged, never a lying 500.
    transaction.on_commit(
        lambda: signals.booking_status_changed.send(
            sender=Booking, booking_id=booking.pk, from_status="", to_status=status
        ),
        robust=True,
    )
    if grouped:
        return booking
    # Written by a worker after the commit: as long as the request itself (bookings/models/
    # messages.py); the event row is in this transaction.
    told = "requested" if status == BookingStatus.PENDING else "confirmed"
    notifications.notify_after_commit(
        booking,
        f"{told}_on_behalf" if behalf.on_behalf else told,
        loaded=True,
        requester_is_member=not behalf.on_behalf,
    )
    return booking


def _lapsed(row: Occupancy, now: datetime) -> bool:
    """`row` belongs to a pending request whose time to be decided is over."""
    booking = row.booking
    return (
        booking is not None
        and booking.status == BookingStatus.PENDING
        and booking.lapses_at is not None
        and booking.lapses_at <= now
    )


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


def _nonexistent_message(exc: NonExistentLocalTimeError) -> str:
    return _(
        "%(time)s does not exist on %(date)s in France: clocks go forward that night. "
        "Choose another time."
    ) % {
        "time": exc.local.strftime("%H:%M"),
        "date": date_format(exc.local.date(), "SHORT_DATE_FORMAT"),
    }


def bookings_expire_lapsed(*, now: datetime | None = None, space: Space | None = None) -> int:
    """Lapse pending requests nobody decided in time, freeing their slots. The platform acts
    (a rule, whoever's request triggered it)."""
    now = now or timezone.now()
    lapsed = Booking.objects.filter(status=BookingStatus.PENDING, lapses_at__lte=now)
    if space is not None:
        lapsed = lapsed.filter(space=space)
    count = 0
    for booking in lapsed.order_by("pk"):
        with transaction.atomic():
            if _booking_transition(booking=booking, to=BookingStatus.LAPSED, actor=PLATFORM):
                count += 1
                notifications.notify(booking, "lapsed")
    return count
