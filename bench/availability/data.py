"""The bench's data: 500 spaces and 4,000 weekly series of 50 dates, loaded once; the slots
searched."""

from __future__ import annotations

import random
import time as clock
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

# Sizes (the issue: 500 spaces, 200,000 occupancy rows).
COMMUNES = 5
SITES_PER_COMMUNE = 10
SPACES_PER_SITE = 10
SERIES_PER_SPACE = 8
DATES_PER_SERIES = 50
STRUCTURES = 100
SEED = 20261127


# --- Data -----------------------------------------------------------------------------------


@dataclass
class Dataset:
    first_monday: date
    sizes: dict
    load_seconds: dict


def _siret(n: int) -> str:
    from stdnum import luhn

    siren = f"8{n:07d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def _opening_hours_pattern(index: int) -> list[int] | None:
    """A third of the spaces have no opening hours, a third are open every day 08:00–22:00,
    a third Monday to Saturday only."""
    if index % 3 == 0:
        return None
    if index % 3 == 1:
        return list(range(7))
    return list(range(6))


def first_data_monday(today: date) -> date:
    start = today + timedelta(days=3)
    return start + timedelta(days=(7 - start.weekday()) % 7)


@dataclass(frozen=True)
class Sizes:
    """What load_data() creates. The territory's codes default to the availability bench's own
    database; a database that also holds the demo (bench.load) passes codes the demo cannot use:
    INSEE codes 59901… (the Nord's communes stop below 59700) and another EPCI SIREN."""

    series_per_space: int = SERIES_PER_SPACE
    dates_per_series: int = DATES_PER_SERIES
    first_insee: int = 59170
    epci_siren: str = "200042190"


def load_data(sizes: Sizes | None = None) -> Dataset:
    from django.db import connection, transaction
    from django.utils import timezone
    from schedule.models import Calendar, Event, Occurrence, Rule

    from accounts.models import Membership, MembershipRole, Organisation, OrganisationKind, User
    from bookings.models import Booking, BookingStatus, Frequency, Occupancy, OccupancyKind
    from bookings.rules import make_local
    from bookings.selectors import local_zone
    from spaces.models import (
        BufferMinutes,
        Commune,
        EpciMembership,
        OpeningHours,
        PostalCode,
        Site,
        Space,
        SpaceKind,
    )

    sizes = sizes or Sizes()
    series_per_space, dates_per_series = sizes.series_per_space, sizes.dates_per_series
    rng = random.Random(SEED)  # noqa: S311 (reproducible bench data, not security)
    zone = local_zone()
    now = timezone.now()
    today = timezone.localdate()
    monday = first_data_monday(today)
    seconds: dict[str, float] = {}

    started = clock.perf_counter()
    with transaction.atomic():
        admin = User.objects.create_user("admin@bench.test", is_staff=True)
        epci = Organisation.objects.create(
            kind=OrganisationKind.EPCI,
            name="Communauté d'agglomération du Banc",
            siren=sizes.epci_siren,
        )
        Membership.objects.create(user=admin, organisation=epci, role=MembershipRole.ADMIN)
        names = ["Denain", "Bouchain", "Douchy-les-Mines", "Lourches", "Haveluy"]
        communes = []
        for n, name in enumerate(names[:COMMUNES]):
            organisation = Organisation.objects.create(kind=OrganisationKind.COMMUNE, name=name)
            postcode, _created = PostalCode.objects.get_or_create(code=f"59{220 + n:03d}")
            commune = Commune.objects.create(
                insee_code=str(sizes.first_insee + n), name=name, organisation=organisation
            )
            commune.postcodes.add(postcode)
            EpciMembership.objects.create(epci=epci, commune=commune, start=date(2001, 1, 31))
            communes.append((commune, organisation, postcode))
        sites = Site.objects.bulk_create(
            [
                Site(
                    name=f"Maison des associations {commune.name} {n + 1}",
                    owner=organisation,
                    street_number=n + 1,
                    street_name="rue Jean-Jaurès",
                    postcode=postcode.code,
                    commune=commune,
                    latitude=Decimal("50.3289"),
                    longitude=Decimal("3.3956"),
                    step_free_entrance=n % 2 == 0,
                    has_lift=n % 4 == 0,
                )
                for commune, organisation, postcode in communes
                for n in range(SITES_PER_COMMUNE)
            ]
        )
        buffers = list(BufferMinutes.values)
        kinds = [SpaceKind.MEETING_ROOM, SpaceKind.WORKSHOP, SpaceKind.HALL, SpaceKind.OFFICE]
        spaces = Space.objects.bulk_create(
            [
                Space(
                    site=site,
                    name=f"Salle {n + 1}",
                    kind=kinds[n % len(kinds)],
                    floor=n % 3,
                    surface_m2=Decimal(20 + 10 * (n % 8)),
                    capacity=12 + 4 * (n % 10),
                    bookable=True,
                    instant_confirmation=n % 2 == 0,
                    buffer_minutes=buffers[(s * SPACES_PER_SITE + n) % len(buffers)],
                    max_booking_minutes=720,
                    min_notice_hours=24,
                    max_advance_days=365,
                )
                for s, site in enumerate(sites)
                for n in range(SPACES_PER_SITE)
            ]
        )
        hours = []
        for index, space in enumerate(spaces):
            for weekday in _opening_hours_pattern(index) or []:
                hours.append(
                    OpeningHours(space=space, weekday=weekday, opens=time(8), closes=time(22))
                )
        OpeningHours.objects.bulk_create(hours)
        verified = now - timedelta(days=30)
        structures = Organisation.objects.bulk_create(
            [
                Organisation(
                    kind=OrganisationKind.ESS,
                    name=f"Association {n + 1}",
                    ess_family="association",
                    siret=_siret(n + 1),
                    siren=_siret(n + 1)[:9],
                    verified_at=verified,
                    verified_by=admin,
                )
                for n in range(STRUCTURES)
            ]
        )
        members = User.objects.bulk_create(
            [
                User(email=f"membre{n + 1}@bench.test", password="!unusable")  # noqa: S106
                for n in range(STRUCTURES)
            ]
        )
        Membership.objects.bulk_create(
            [
                Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN)
                for user, organisation in zip(members, structures, strict=True)
            ]
        )
        calendars = Calendar.objects.bulk_create(
            [Calendar(name=f"space-{space.pk}", slug=f"space-{space.pk}") for space in spaces]
        )
        weekly, _created = Rule.objects.get_or_create(
            name="weekly", defaults={"frequency": "WEEKLY", "params": "", "description": "weekly"}
        )
    seconds["territory, spaces, structures"] = clock.perf_counter() - started

    # Weekly series: 8 per space, on Monday–Saturday between 08:00 and 22:00, never overlapping
    # on a space (buffer included); Sundays are left free for the series-creation benchmark.
    status_counts: Counter = Counter()
    series_count = occupancy_count = inactive_count = cancelled_dates = 0
    started = clock.perf_counter()
    chunk = 50  # spaces per transaction
    for offset in range(0, len(spaces), chunk):
        plans = []
        for space, calendar in zip(
            spaces[offset : offset + chunk], calendars[offset : offset + chunk], strict=True
        ):
            taken: dict[int, list[tuple[int, int]]] = {weekday: [] for weekday in range(6)}
            made = 0
            while made < series_per_space:
                weekday = rng.randrange(6)
                minutes = rng.choice([60, 90, 120, 120, 180])
                start_minute = rng.randrange(8 * 60, 22 * 60 - minutes + 1, 30)
                low, high = start_minute, start_minute + minutes + space.buffer_minutes
                if any(low < b_high and b_low < high for b_low, b_high in taken[weekday]):
                    continue
                taken[weekday].append((low, high))
                made += 1
                first_day = monday + timedelta(weeks=rng.randrange(3), days=weekday)
                periods = []
                for k in range(dates_per_series):
                    day = first_day + timedelta(weeks=k)
                    start = make_local(
                        datetime.combine(day, time(start_minute // 60, start_minute % 60)), zone
                    )
                    periods.append((start, start + timedelta(minutes=minutes)))
                roll = rng.random()
                status = (
                    BookingStatus.CANCELLED
                    if roll < 0.03
                    else BookingStatus.PENDING
                    if roll < 0.23
                    else BookingStatus.CONFIRMED
                )
                cancelled = (
                    {k for k in range(dates_per_series) if rng.random() < 0.01}
                    if status != BookingStatus.CANCELLED
                    else set()
                )
                plans.append((space, calendar, periods, status, cancelled))
        with transaction.atomic():
            events = Event.objects.bulk_create(
                [
                    Event(
                        calendar=calendar,
                        title=f"Activité hebdomadaire {space.name}",
                        start=periods[0][0],
                        end=periods[0][1],
                        rule=weekly,
                        end_recurring_period=periods[-1][1],
                    )
                    for space, calendar, periods, _status, _cancelled in plans
                ]
            )
            bookings = Booking.objects.bulk_create(
                [
                    Booking(
                        space=space,
                        organisation=structures[i % STRUCTURES],
                        requested_by=members[i % STRUCTURES],
                        purpose=f"Activité hebdomadaire {i}",
                        attendees=min(10, space.capacity),
                        status=status,
                        start=periods[0][0],
                        end=periods[0][1],
                        frequency=Frequency.WEEKLY,
                        repeat_count=dates_per_series,
                        event=event,
                        lapses_at=now + timedelta(days=10)
                        if status == BookingStatus.PENDING
                        else None,
                    )
                    for i, ((space, _calendar, periods, status, _cancelled), event) in enumerate(
                        zip(plans, events, strict=True), start=series_count
                    )
                ]
            )
            rows = []
            exceptions = []
            for (space, _calendar, periods, status, cancelled), booking, event in zip(
                plans, bookings, events, strict=True
            ):
                status_counts[status] += 1
                buffer = timedelta(minutes=space.buffer_minutes)
                for k, (start, end) in enumerate(periods):
                    active = status != BookingStatus.CANCELLED and k not in cancelled
                    rows.append(
                        Occupancy(
                            space=space,
                            start=start,
                            end=end,
                            blocked_until=end + buffer,
                            kind=OccupancyKind.BOOKING,
                            booking=booking,
                            active=active,
                            cancelled_at=None if active else now,
                        )
                    )
                    if k in cancelled:
                        exceptions.append(
                            Occurrence(
                                event=event,
                                title=event.title,
                                start=start,
                                end=end,
                                original_start=start,
                                original_end=end,
                                cancelled=True,
                            )
                        )
            Occupancy.objects.bulk_create(rows, batch_size=5000)
            Occurrence.objects.bulk_create(exceptions, batch_size=5000)
        series_count += len(plans)
        occupancy_count += len(rows)
        inactive_count += sum(1 for row in rows if not row.active)
        cancelled_dates += len(exceptions)
    seconds["series: events, bookings, occupancy"] = clock.perf_counter() - started

    started = clock.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds["ANALYZE"] = clock.perf_counter() - started

    counts = {
        "communes": COMMUNES,
        "sites": len(sites),
        "spaces": len(spaces),
        "spaces with opening hours": sum(1 for i in range(len(spaces)) if i % 3),
        "ESS structures (verified)": STRUCTURES,
        "weekly series (Booking + Event)": series_count,
        "series confirmed / pending / cancelled": " / ".join(
            str(status_counts[s])
            for s in (BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CANCELLED)
        ),
        "Occupancy rows": occupancy_count,
        "Occupancy rows active": occupancy_count - inactive_count,
        "single dates cancelled (Occurrence rows)": cancelled_dates,
        "dates": f"{monday} to {monday + timedelta(weeks=dates_per_series + 2)}",
    }
    return Dataset(first_monday=monday, sizes=counts, load_seconds=seconds)


def existing_dataset() -> Dataset:
    from bookings.models import Booking, Occupancy
    from spaces.models import Space

    monday = Occupancy.objects.order_by("start").values_list("start", flat=True).first()
    from bookings.selectors import local_zone

    monday = monday.astimezone(local_zone()).date()
    monday -= timedelta(days=monday.weekday())
    sizes = {
        "spaces": Space.objects.count(),
        "weekly series (Booking + Event)": Booking.objects.count(),
        "Occupancy rows": Occupancy.objects.count(),
        "Occupancy rows active": Occupancy.objects.filter(active=True).count(),
    }
    return Dataset(first_monday=monday, sizes=sizes, load_seconds={})


# --- Slots ----------------------------------------------------------------------------------


def search_slots(monday: date, count: int) -> list:
    """Half are Tuesday 14:00–16:00 on various dates, half vary day, time and length."""
    from bookings.rules import local_period
    from bookings.selectors import local_zone

    rng = random.Random(SEED + 1)  # noqa: S311
    zone = local_zone()
    # The first slots (also computed the naive way) cover winter and summer time, and a Sunday.
    fixed = [
        (2, 1, 14 * 60, 120),
        (20, 1, 14 * 60, 120),
        (40, 1, 14 * 60, 120),
        (9, 3, 18 * 60, 90),
        (30, 6, 10 * 60, 120),
        (45, 5, 9 * 60, 180),
    ]
    slots = []
    for n in range(count):
        if n < len(fixed):
            week, weekday, start, minutes = fixed[n]
        elif n % 2 == 0:
            week, weekday, start, minutes = rng.randrange(1, 46), 1, 14 * 60, 120
        else:
            minutes = rng.choice([60, 90, 120, 180])
            week, weekday = rng.randrange(1, 46), rng.randrange(7)
            start = rng.randrange(8 * 60, 22 * 60 - minutes + 1, 30)
        day = monday + timedelta(weeks=week, days=weekday)
        end = start + minutes
        slots.append(
            local_period(day, time(start // 60, start % 60), time(end // 60, end % 60), zone)
        )
    return slots
