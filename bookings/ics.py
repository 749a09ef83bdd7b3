"""Private ICS subscriptions (RFC 5545) for a space, a site or an organisation, built with icalendar.

Who may subscribe, and who sees whose names:
- a space or a site feed is for the people who manage it (facilities managers, the owning
  commune's staff, the intercommunality): they see every organisation's name and purpose, as on
  their calendars;
- an organisation feed is for its members and holds only that organisation's bookings;
- the rule is checked again at every fetch, for the feed's creator: a manager who no longer
  manages the site, or a member who left the organisation, gets a 404 (like a revoked feed). In
  the feed itself each booking also says who booked it only if the creator manages its site or
  belongs to its organisation, "Busy" otherwise, so a new kind of feed cannot leak names.

Series: one VEVENT per booking with an RRULE and an EXDATE per cancelled date, rather than one
VEVENT per date. The bookings' only per-date exception is a cancellation (dates are never moved),
so RRULE + EXDATE describe a series exactly; the RRULE comes from the same django-scheduler Rule
that produced the Occupancy rows (in local time, like the feed's TZID=Europe/Paris DTSTART), so
clients expand it to the same dates, 18:00 stays 18:00 across clock changes, and clients show
and keep it as one series. A 12-month series stays one event instead of 52.

Clock changes: a local time with TZID names one instant, except in the hour repeated when the
clocks go back (02:00-03:00 on the last Sunday of October happens twice), where clients take the
first one (RFC 5545 3.3.5) or guess. So any time of that hour is written in UTC ("...Z"): a
booking from 02:30 summer time to 02:00 winter time would otherwise end before it starts, and
khal refuses the whole feed for it. A series keeps its RRULE in local time, unless one of its
dates is in that hour: then its dates are listed (RDATE) in UTC (see `_booking_event`). Last,
every event is checked as a client reads it (DTEND after DTSTART): one that is not is left out
and logged, so it cannot break the feed.

Rooms: a space's or a site's feed holds the dates held in that space or site, read from the
Occupancy rows (a series moved to another room from a date keeps its earlier dates in the old
room, while `Booking.space` is the new one). A booking whose active dates lie in several rooms
gives one event per room: the usual one (UID `booking-<pk>@host`) for the dates in its current
room, and `booking-<pk>-space-<id>@host` for those held in another room, named after that room
and listing its dates (RDATE). A booking that never moved gives the same single event as before.
"""

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, vDuration

from accounts.models import Organisation, User
from accounts.selectors import AnyUser, organisations_of
from bookings import scheduler
from bookings.models import (
    OCCUPYING,
    Booking,
    BookingLog,
    BookingStatus,
    CalendarFeed,
    Closure,
    Occupancy,
)
from bookings.rules import Period
from bookings.selectors import local_zone
from spaces.models import Site, Space
from spaces.selectors import sites_manageable_by, spaces_manageable_by

# What a feed holds: the recent past (so a client still shows last month) and the next year.
FEED_PAST = timedelta(days=30)
FEED_FUTURE = relativedelta(months=12)
# Refused, cancelled and lapsed bookings stay this long as STATUS:CANCELLED, so clients that
# merge feed updates into a calendar (rather than replace it) remove them; then they go.
ENDED_KEPT = timedelta(days=30)
ENDED = (BookingStatus.REFUSED, BookingStatus.CANCELLED, BookingStatus.LAPSED)
ICAL_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.REFUSED: "CANCELLED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.LAPSED: "CANCELLED",
}
PRODID = "-//Locaux Communs//Calendar feeds//FR"
REFRESH = timedelta(hours=1)

FeedTarget = Space | Site | Organisation

logger = logging.getLogger(__name__)


# --- Reads: who may subscribe to what, and the feeds of a user ---


def feed_targets_for(user: AnyUser) -> dict[str, QuerySet]:
    """What the user may subscribe to, per scope: spaces and sites they manage, their organisations."""
    return {
        CalendarFeed.Scope.SPACE: spaces_manageable_by(user),
        CalendarFeed.Scope.SITE: sites_manageable_by(user),
        CalendarFeed.Scope.ORGANISATION: organisations_of(user),
    }


def feed_target(feed: CalendarFeed) -> FeedTarget:
    return {
        CalendarFeed.Scope.SPACE: feed.space,
        CalendarFeed.Scope.SITE: feed.site,
        CalendarFeed.Scope.ORGANISATION: feed.organisation,
    }[feed.scope]


def feed_target_allowed(*, user: AnyUser, scope: str, target_id: int) -> bool:
    targets = feed_targets_for(user).get(scope)
    return targets is not None and targets.filter(pk=target_id).exists()


def calendar_feeds_of(*, user: AnyUser) -> QuerySet[CalendarFeed]:
    """The user's own feeds that still work, newest first."""
    if not user.is_authenticated:
        return CalendarFeed.objects.none()
    return (
        CalendarFeed.objects.filter(created_by=user, revoked_at__isnull=True)
        .select_related("space", "space__site", "site", "site__commune", "organisation")
        .order_by("-created_at", "-pk")
    )


def calendar_feed_get_active(*, token: str) -> CalendarFeed | None:
    """The feed behind a secret URL, or None if unknown, revoked, or its creator lost access."""
    feed = (
        CalendarFeed.objects.select_related(
            "space", "space__site", "site", "organisation", "created_by"
        )
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.created_by.is_active:
        return None
    target = feed_target(feed)
    if not feed_target_allowed(user=feed.created_by, scope=feed.scope, target_id=target.pk):
        return None
    return feed


def feed_url(feed: CalendarFeed) -> str:
    """The full address to paste into a calendar application."""
    path = reverse("bookings:feed-ics", kwargs={"token": feed.token})
    return settings.SITE_URL.rstrip("/") + path


def feed_target_name(feed: CalendarFeed) -> str:
    target = feed_target(feed)
    if isinstance(target, Space):
        return _("%(space)s (%(site)s)") % {"space": target.name, "site": target.site.name}
    return target.name


# --- Building the feed ---


def feed_window(now: datetime) -> Period:
    return Period(now - FEED_PAST, now + FEED_FUTURE)


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _feed_bookings(
    *, feed: CalendarFeed, viewer: User, window: Period, now: datetime
) -> QuerySet[Booking]:
    """The bookings of the feed with a date in the window, in one query, whatever their number:
    those of its room(s) (`Booking.space`), and those holding a date there from another room."""
    # Any row, active or not: a series keeps its cancelled dates (EXDATE) in the window.
    in_window = Occupancy.objects.filter(
        booking=OuterRef("pk"), start__lt=window.end, end__gt=window.start
    )
    held_in_window = in_window.filter(active=True)
    if feed.scope == CalendarFeed.Scope.SPACE:
        scope = (Q(space_id=feed.space_id) & Exists(in_window)) | Exists(
            held_in_window.filter(space_id=feed.space_id)
        )
    elif feed.scope == CalendarFeed.Scope.SITE:
        scope = (Q(space__site_id=feed.site_id) & Exists(in_window)) | Exists(
            held_in_window.filter(space__site_id=feed.site_id)
        )
    else:
        scope = Q(organisation_id=feed.organisation_id) & Exists(in_window)
    ended_recently = BookingLog.objects.filter(
        booking=OuterRef("pk"),
        occurrence_start__isnull=True,
        to_status__in=ENDED,
        created_at__gte=now - ENDED_KEPT,
    )
    last_change = (
        BookingLog.objects.filter(booking=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Booking.objects.filter(scope)
        .filter(Q(status__in=OCCUPYING) | Exists(ended_recently))
        .annotate(last_change=Subquery(last_change), names_shown=_names_shown(viewer))
        .select_related(
            "space", "space__site", "space__site__commune", "organisation", "event", "event__rule"
        )
        .order_by("start", "pk")
    )


def _names_shown(viewer: User, prefix: str = "") -> Case:
    """Whether the viewer sees who booked: they manage the room's site or belong to the
    booking's organisation (`prefix` reaches the booking from another model)."""
    rule = Q(space__site__in=sites_manageable_by(viewer).values("pk")) | Q(
        **{f"{prefix}organisation__in": organisations_of(viewer).values("pk")}
    )
    return Case(When(rule, then=Value(True)), default=Value(False), output_field=BooleanField())


def _feed_closures(*, feed: CalendarFeed, window: Period) -> QuerySet[Closure]:
    """Closures of the space or site (and of its spaces); none for an organisation feed."""
    if feed.scope == CalendarFeed.Scope.SPACE:
        scope = Q(space_id=feed.space_id) | Q(site_id=feed.space.site_id)
    elif feed.scope == CalendarFeed.Scope.SITE:
        scope = Q(site_id=feed.site_id) | Q(space__site_id=feed.site_id)
    else:
        # Closures that hit the organisation's bookings already cancel those dates (EXDATE).
        return Closure.objects.none()
    return (
        Closure.objects.filter(scope, start__lt=window.end, end__gt=window.start)
        .select_related("site", "space")
        .order_by("start", "pk")
    )


def _location(space: Space) -> str:
    site = space.site
    town = f"{site.postcode} {site.commune.name}".strip()
    return ", ".join(part for part in [space.name, site.name, site.address_line, town] if part)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _wall_clock_names_it(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether the local time of `moment` happens once: False in the repeated autumn hour."""
    local = moment.astimezone(zone)
    return local.utcoffset() == local.replace(fold=1 - local.fold).utcoffset()


def _as_read(value: datetime | date, *, fold: int) -> datetime | date:
    """The instant a client reads from a value we write, in UTC (dates stay dates).

    A local time is written as its wall clock and TZID, without the fold: of two equal
    wall-clock times a client takes the first (RFC 5545 3.3.5) or, like khal, the second.
    """
    if not isinstance(value, datetime):
        return value
    return _utc(value.replace(fold=fold))


def _add_period(event: Event, start: datetime, end: datetime, zone: ZoneInfo) -> None:
    """DTSTART and DTEND, both local or (if either is in the repeated hour) both in UTC."""
    if _wall_clock_names_it(start, zone) and _wall_clock_names_it(end, zone):
        event.add("dtstart", start.astimezone(zone))
        event.add("dtend", end.astimezone(zone))
    else:
        event.add("dtstart", _utc(start))
        event.add("dtend", _utc(end))


def event_is_sound(event: Event) -> bool:
    """Whether every client reads the event as ending after it starts (khal refuses a whole
    feed for one event that does not)."""
    start, end = event.get("DTSTART"), event.get("DTEND")
    if start is None or end is None or type(start.dt) is not type(end.dt):
        return False
    return all(_as_read(end.dt, fold=fold) > _as_read(start.dt, fold=fold) for fold in (0, 1))


def _booking_details(booking: Booking, *, uid: str, space: Space, names_shown: bool) -> Event:
    """What an event of the booking says, in `space`, without its dates."""
    event = Event()
    event.add("uid", uid)
    # No METHOD in the feed, so DTSTAMP is when the booking last changed (RFC 5545 3.8.7.2):
    # unchanged bookings give byte-identical events from one fetch to the next.
    changed = booking.last_change or booking.created_at
    event.add("dtstamp", _utc(changed))
    event.add("created", _utc(booking.created_at))
    event.add("last-modified", _utc(changed))
    if names_shown:
        summary = _("%(space)s — %(purpose)s") % {
            "space": space.name,
            "purpose": booking.purpose,
        }
        lines = [
            _("Organisation: %(name)s") % {"name": booking.organisation.name},
            _("Attendees: %(n)s") % {"n": booking.attendees},
            _("Status: %(status)s") % {"status": booking.get_status_display()},
        ]
        url = settings.SITE_URL.rstrip("/") + booking.get_absolute_url()
        event.add("description", "\n".join([*lines, url]))
        event.add("url", url)
    else:
        summary = _("%(space)s — Busy") % {"space": space.name}
        event.add("class", "CONFIDENTIAL")
    event.add("summary", summary)
    event.add("location", _location(space))
    event.add("status", ICAL_STATUS[booking.status])
    event.add("transp", "OPAQUE")
    return event


def _booking_event(
    booking: Booking,
    *,
    zone: ZoneInfo,
    host: str,
    exdates: list[datetime],
    starts: list[datetime],
    held: list[tuple[datetime, datetime]] | None = None,
    held_elsewhere: bool = False,
) -> list[Event]:
    """The booking's event in its room. `held_elsewhere`: some of its dates are held in another
    room (moved from a date), so this one lists the dates held in its room."""

    def details() -> Event:
        return _booking_details(
            booking,
            uid=f"booking-{booking.pk}@{host}",
            space=booking.space,
            names_shown=booking.names_shown,
        )

    event = details()
    rrule = (
        scheduler.rrule_of(event=booking.event, zone=zone)
        if booking.is_series and booking.event is not None
        else None
    )
    duration = booking.end - booking.start
    if held_elsewhere or (rrule is not None and booking.event.start != booking.start):
        # A series changed from a date (bookings.services.series): its rule covers the dates
        # from that date only, and some of its dates may be in another room, so its dates
        # (here) are listed (in UTC, each with its own end).
        longer = _add_held_dates(event, held or [(booking.start, booking.end)])
        return [event, *_overrides(details, longer)]
    elif rrule is None:
        _add_period(event, booking.start, booking.end, zone)
    elif all(
        _wall_clock_names_it(moment, zone)
        for start in [booking.start, *starts]
        for moment in (start, start + duration)
    ):
        event.add("dtstart", booking.start.astimezone(zone))
        event.add("dtend", booking.end.astimezone(zone))
        event.add("rrule", rrule)
        if exdates:
            # Same TZID and wall-clock time as DTSTART, as clients match EXDATEs to instances.
            event.add("exdate", [start.astimezone(zone) for start in exdates])
    else:
        # A date of the series is in the repeated hour. Clients expand a local RRULE to one of
        # the two equal wall-clock times, RFC 5545 to the first (summer time), khal and
        # django-scheduler (pytz) to the second, and read EXDATEs and RDATEs the same way: no
        # local rule gives that date right everywhere. So the dates are listed, in UTC, which
        # every client expands exactly (a series holds at most a year of dates).
        held = {_utc(start) for start in starts} or {_utc(booking.start)}
        remaining = sorted(held - {_utc(start) for start in exdates}) or sorted(held)
        event.add("dtstart", remaining[0])
        event.add("dtend", remaining[0] + duration)
        if remaining[1:]:
            event.add("rdate", remaining[1:])
    return [event]


def _booking_event_elsewhere(
    booking: Booking, *, host: str, rows: list[Occupancy], names_shown: bool
) -> list[Event]:
    """The dates of a booking held in another room than its own (a series moved from a date):
    named after that room, its dates listed."""
    space = rows[0].space

    def details() -> Event:
        return _booking_details(
            booking,
            uid=f"booking-{booking.pk}-space-{space.pk}@{host}",
            space=space,
            names_shown=names_shown,
        )

    event = details()
    longer = _add_held_dates(event, [(row.start, row.end) for row in rows])
    return [event, *_overrides(details, longer)]


def _add_held_dates(
    event: Event, held: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """DTSTART/DTEND of the first date, the others as RDATEs, all in UTC.

    The others are plain date-times (each lasts DTEND - DTSTART): khal, for one, cannot read
    RDATE periods (RFC 5545 3.8.5.2) and refuses the whole feed for one. Returns the dates
    that last longer or shorter than the first, which `_overrides` gives their own end.
    """
    first_start, first_end = held[0]
    event.add("dtstart", _utc(first_start))
    event.add("dtend", _utc(first_end))
    others = held[1:]
    if others:
        event.add("rdate", [_utc(start) for start, _end in others])
    length = _utc(first_end) - _utc(first_start)
    return [(start, end) for start, end in others if _utc(end) - _utc(start) != length]


def _overrides(details: Callable[[], Event], dates: list[tuple[datetime, datetime]]) -> list[Event]:
    """One VEVENT per listed date that lasts longer or shorter than the first: same UID, its
    RECURRENCE-ID (the RDATE it replaces), its own end."""
    events = []
    for start, end in dates:
        event = details()
        event.add("recurrence-id", _utc(start))
        event.add("dtstart", _utc(start))
        event.add("dtend", _utc(end))
        events.append(event)
    return events


def _is_local_midnight(value: datetime, zone: ZoneInfo) -> bool:
    return value.astimezone(zone).time() == time(0)


def _closure_event(closure: Closure, *, zone: ZoneInfo, host: str) -> Event:
    event = Event()
    event.add("uid", f"closure-{closure.pk}@{host}")
    event.add("dtstamp", _utc(closure.created_at))
    event.add("created", _utc(closure.created_at))
    if _is_local_midnight(closure.start, zone) and _is_local_midnight(closure.end, zone):
        # Whole days (holidays, the August closure): all-day events, DTEND exclusive.
        event.add("dtstart", closure.start.astimezone(zone).date())
        event.add("dtend", closure.end.astimezone(zone).date())
    else:
        _add_period(event, closure.start, closure.end, zone)
    closed = _("Closed: %(reason)s") % {"reason": closure.reason}
    if closure.space is not None:
        summary = _("%(space)s — %(closed)s") % {"space": closure.space.name, "closed": closed}
    else:
        summary = closed
    event.add("summary", summary)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def feed_calendar(*, feed: CalendarFeed, now: datetime | None = None) -> Calendar:
    """The VCALENDAR of a feed: its bookings and closures from 30 days ago to 12 months ahead.

    The number of queries does not depend on the number of bookings. Texts are in the active
    language.
    """
    now = now or timezone.now()
    zone = local_zone()
    host = _host()
    window = feed_window(now)
    bookings = list(_feed_bookings(feed=feed, viewer=feed.created_by, window=window, now=now))
    closures = list(_feed_closures(feed=feed, window=window))
    exdates = scheduler.cancelled_starts_by_event(
        event_ids=[booking.event_id for booking in bookings if booking.event_id is not None]
    )
    rows = _booking_rows(bookings, viewer=feed.created_by)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = _("Locaux Communs — %(name)s") % {"name": feed_target_name(feed)}
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))  # an X- property is text otherwise
    # The VTIMEZONE covers every instant the events use: series may start before the window
    # and run (UNTIL) after it. Always present, so an empty feed still names its zone. Derived
    # from tzdata, so it follows any change of the rules. (icalendar writes the spring onset
    # as 03:00, the first wall-clock time of summer time, where RFC 5545 expects 02:00: the two
    # differ only for 02:00-03:00 that day, a time that does not exist and that bookings refuse.)
    first = min([window.start, *(booking.start for booking in bookings)])
    last = max(
        [
            window.end,
            *(
                until
                for booking in bookings
                if (until := scheduler.series_until(event=booking.event)) is not None
            ),
            *(closure.end for closure in closures),
        ]
    )
    calendar.add_component(
        Timezone.from_tzinfo(
            zone,
            first_date=first.astimezone(zone).date() - timedelta(days=1),
            last_date=last.astimezone(zone).date() + timedelta(days=2),
        )
    )
    events = []
    for booking in bookings:
        here = [row for row in rows.get(booking.pk, []) if row.space_id == booking.space_id]
        held = [(row.start, row.end) for row in here if row.active]
        # The dates held in other rooms (a series moved from a date), per room.
        elsewhere: dict[int, list[Occupancy]] = {}
        for row in rows.get(booking.pk, []):
            if row.active and row.space_id != booking.space_id:
                elsewhere.setdefault(row.space_id, []).append(row)
        # Its room's event, unless every date it still holds is in another room.
        if _in_feed(feed, booking.space) and (held or not elsewhere):
            events += _booking_event(
                booking,
                zone=zone,
                host=host,
                exdates=exdates.get(booking.event_id, []),
                starts=[row.start for row in here] if booking.is_series else [],
                held=held,
                held_elsewhere=bool(elsewhere),
            )
        for room_rows in elsewhere.values():
            if _in_feed(feed, room_rows[0].space) and any(
                row.start < window.end and row.end > window.start for row in room_rows
            ):
                events += _booking_event_elsewhere(
                    booking, host=host, rows=room_rows, names_shown=room_rows[0].names_shown
                )
    events += [_closure_event(closure, zone=zone, host=host) for closure in closures]
    for event in events:
        if event_is_sound(event):
            calendar.add_component(event)
        else:
            # Never expected; but one event that a client cannot read must not lose it the
            # whole feed (khal refuses every event of a file for one such).
            logger.error(
                "Calendar feed %s: %s left out, it ends before it starts", feed.pk, event["UID"]
            )
    return calendar


def _booking_rows(bookings: list[Booking], *, viewer: User) -> dict[int, list[Occupancy]]:
    """The dates of each booking (active or cancelled), with their room and whether the viewer
    sees who booked there, in one query for all."""
    by_booking: dict[int, list[Occupancy]] = {}
    rows = (
        Occupancy.objects.filter(booking__in=[booking.pk for booking in bookings])
        .select_related("space", "space__site", "space__site__commune")
        .annotate(names_shown=_names_shown(viewer, prefix="booking__"))
        .order_by("booking_id", "start", "pk")
    )
    for row in rows:
        by_booking.setdefault(row.booking_id, []).append(row)
    return by_booking


def _in_feed(feed: CalendarFeed, space: Space) -> bool:
    """Whether dates held in `space` belong in the feed."""
    if feed.scope == CalendarFeed.Scope.SPACE:
        return space.pk == feed.space_id
    if feed.scope == CalendarFeed.Scope.SITE:
        return space.site_id == feed.site_id
    return True


def feed_ical(*, feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """The feed serialised as text/calendar (UTF-8, CRLF line endings, folded lines)."""
    return feed_calendar(feed=feed, now=now).to_ical()
