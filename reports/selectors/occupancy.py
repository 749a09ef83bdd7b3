"""The observatory: occupancy and vacancy of the premises over a period, for a scope of sites.

- Hourly rate of a bookable space: hours booked ÷ hours open. Hours booked are the active
  Occupancy rows of bookings (cancelled and lapsed dates are inactive), clipped to the period.
  Hours open are its weekly opening hours over the period in local time (none: always open),
  in real elapsed time, less its closures (`spaces.rules.opening_seconds`).
- Long-term premises (allocatable spaces): m² allocated ÷ m² available, weighted by time: the
  Occupancy rows of agreements × the surface, ÷ the surface × the period.
- Vacancy: the spaces declared vacant (`Space.vacant_since`), their m², since when.
- Structures hosted (by a booking or an agreement in the period) by ESS family and SIAE kind,
  and hours used per structure.

Everything that grows with the Occupancy rows is summed by the database: for the whole local
months of a period from the monthly summary the Occupancy writer keeps (OccupancyMonth: booked
time per space, structure and month), from the rows themselves only for the partial months at
the period's edges (docs/decisions.md, issue 15, third pass). Python only adds up per space,
site and commune, and computes the open hours from the opening hours and closures, which are
few rows. The number of queries does not depend on the number of spaces or rows
(tests/reports/test_occupancy.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache, reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import (
    BooleanField,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncMonth
from django.utils.translation import gettext as _

from accounts.models import EssFamily, Organisation, OrganisationKind, SiaeKind
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import (
    Allocation,
    AllocationStatus,
    Closure,
    Occupancy,
    OccupancyKind,
    OccupancyMonth,
)
from bookings.rules import Period, first_of_month, next_month
from bookings.selectors import local_zone
from spaces.models import Commune, OpeningHours, Site, Space
from spaces.rules import ALWAYS_OPEN, Window, merge_periods, opening_seconds

# Agreements that held (or hold) their spaces: as in the aid reports.
ALLOCATED_STATUSES = (AllocationStatus.SIGNED, AllocationStatus.ACTIVE, AllocationStatus.ENDED)
# A space is "never used" when nothing was booked in it over the period, "always full" when
# its bookings fill at least this share of its open hours (docs/decisions.md, issue 15).
ALWAYS_FULL_RATE = Decimal("0.90")
# The longest period a dashboard computes (a 20-year period is refused with a message).
MAX_PERIOD_DAYS = 5 * 366


# --- Who sees what (querysets: outsiders get a 404) ---


def observatory_is_visible_to(user: AnyUser) -> bool:
    """The territory's dashboard: the intercommunality's people (and the platform's operators)."""
    return user_is_territory_admin(user)


def communes_observable_by(user: AnyUser) -> QuerySet[Commune]:
    """Communes whose dashboard the user may open: all for the intercommunality, else the
    communes the user works for."""
    communes = Commune.objects.filter(organisation__isnull=False)
    if user_is_territory_admin(user):
        return communes
    return communes.filter(organisation__in=organisations_of(user).values("pk"))


def sites_observable_by(user: AnyUser) -> QuerySet[Site]:
    """Sites whose occupancy the user may read: all for the intercommunality, else the sites
    owned by the communes the user works for (their own premises only)."""
    if user_is_territory_admin(user):
        return Site.objects.all()
    return Site.objects.filter(
        owner__in=organisations_of(user).filter(kind=OrganisationKind.COMMUNE).values("pk")
    )


def commune_premises(commune: Commune) -> QuerySet[Site]:
    """The premises of a commune's dashboard: the sites the commune owns."""
    return Site.objects.filter(owner_id=commune.organisation_id)


# --- SQL helpers ---


class Seconds(Func):
    """A duration as seconds (float): PostgreSQL intervals, SQLite's microseconds."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s / 1000000.0)")


def _at(moment: datetime) -> Value:
    return Value(moment, output_field=Occupancy._meta.get_field("start"))


def _clipped_seconds(period: Period) -> Seconds:
    """The seconds of an Occupancy row inside `period`, for rows that overlap it."""
    return Seconds(
        ExpressionWrapper(
            Least(F("end"), _at(period.end)) - Greatest(F("start"), _at(period.start)),
            output_field=DurationField(),
        )
    )


def _overlapping(period: Period) -> Q:
    return Q(start__lt=period.end, end__gt=period.start)


def _sum(period: Period, condition: Q | None = None) -> Coalesce:
    """Seconds of the rows inside `period`: the clipped intervals summed, then converted once
    per group (cheaper than per row)."""
    clipped = ExpressionWrapper(
        Least(F("end"), _at(period.end)) - Greatest(F("start"), _at(period.start)),
        output_field=DurationField(),
    )
    condition = _overlapping(period) & (condition or Q())
    return Coalesce(Seconds(Sum(clipped, filter=condition)), 0.0, output_field=FloatField())


# --- Figures ---


def local_period(first_day: date, after_day: date) -> Period:
    """[first_day, after_day) from local midnight to local midnight."""
    zone = local_zone()
    return Period(
        datetime.combine(first_day, datetime.min.time(), tzinfo=zone),
        datetime.combine(after_day, datetime.min.time(), tzinfo=zone),
    )


def rate(part: float, whole: float) -> Decimal | None:
    """part ÷ whole to four decimals (a percentage to two), None when there is nothing open."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """Hours booked and open, m²·time allocated and available: summed the same way for a
    space, a site, a commune or the whole scope."""

    booked: float = 0.0  # seconds
    open: float = 0.0  # seconds
    allocated: float = 0.0  # m² × seconds
    available: float = 0.0  # m² × seconds

    def add(self, other: "Figures") -> None:
        self.booked += other.booked
        self.open += other.open
        self.allocated += other.allocated
        self.available += other.available

    @property
    def hours_booked(self) -> Decimal:
        return hours(self.booked)

    @property
    def hours_open(self) -> Decimal:
        return hours(self.open)

    @property
    def rate(self) -> Decimal | None:
        return rate(self.booked, self.open)

    @property
    def surface_rate(self) -> Decimal | None:
        return rate(self.allocated, self.available)


@dataclass
class Line:
    """A space, a site or a commune: its figures over the period and the previous one."""

    key: str  # the space or site id, or the commune's INSEE code
    name: str
    current: Figures = field(default_factory=Figures)
    previous: Figures = field(default_factory=Figures)
    site_name: str = ""
    commune_name: str = ""
    bookable: bool = False
    allocatable: bool = False
    surface_m2: Decimal = Decimal(0)

    @property
    def change(self) -> Decimal | None:
        """The change of the hourly rate since the previous period, in points (0.05: +5 %)."""
        if self.current.rate is None or self.previous.rate is None:
            return None
        return self.current.rate - self.previous.rate


@dataclass
class VacantSpace:
    space_id: int
    name: str
    site_name: str
    surface_m2: Decimal
    since: date


@dataclass
class StructureUse:
    structure_id: int
    name: str
    ess_family: str
    siae_kind: str
    booked: float = 0.0  # seconds of bookings in the period
    allocated_m2: Decimal = Decimal(0)  # m² of the spaces its agreements cover

    @property
    def hours(self) -> Decimal:
        return hours(self.booked)


@dataclass
class Count:
    key: str
    label: str
    structures: int


@dataclass
class Observatory:
    period: Period
    previous_period: Period
    first_day: date
    last_day: date  # included
    total: Line
    spaces: list[Line]
    sites: list[Line]
    communes: list[Line]
    months: list[tuple[date, Decimal]]  # (first day of the month, hours booked)
    vacant: list[VacantSpace]
    structures: list[StructureUse]
    by_family: list[Count]
    by_siae_kind: list[Count]

    @cached_property
    def bookable(self) -> list[Line]:
        return [line for line in self.spaces if line.bookable]

    @cached_property
    def never_used(self) -> list[Line]:
        """Bookable spaces open during the period in which nothing was booked."""
        return [line for line in self.bookable if line.current.open > 0 and not line.current.booked]

    @cached_property
    def always_full(self) -> list[Line]:
        """Bookable spaces booked for at least ALWAYS_FULL_RATE of their open hours."""
        return [
            line
            for line in self.bookable
            if line.current.rate is not None and line.current.rate >= ALWAYS_FULL_RATE
        ]

    @property
    def vacant_m2(self) -> Decimal:
        return sum((space.surface_m2 for space in self.vacant), Decimal(0))


def observatory(*, sites: QuerySet[Site] | None, first_day: date, after_day: date) -> Observatory:
    """The figures of `sites` (None: every site, read without a join) over [first_day,
    after_day) (local days), compared with the period of the same length just before. Five
    to seven queries, whatever the number of spaces: the booked time is two grouped queries on
    the monthly summary when either period has whole months, and one on the Occupancy rows
    when either has partial months at its edges."""
    period = local_period(first_day, after_day)
    previous_period = local_period(first_day - (after_day - first_day), first_day)
    both = Period(previous_period.start, period.end)
    site_ids = None if sites is None else sites.values("pk")
    space_rows = list(
        _in_sites(Space.objects.all(), "site", site_ids)
        .order_by("site__commune__name", "site__name", "name", "pk")
        .values(
            "pk",
            "name",
            "bookable",
            "allocatable",
            "surface_m2",
            "vacant_since",
            "site_id",
            "site__name",
            "site__commune__insee_code",
            "site__commune__name",
        )
    )
    windows = _windows_of(site_ids)
    closures = _closures_of(site_ids, both, space_rows)
    booked = _bookings_of(
        site_ids,
        period,
        _split(first_day, after_day),
        _split(first_day - (after_day - first_day), first_day),
    )
    allocated = _allocations_of(site_ids, period, previous_period)
    zone = local_zone()
    lines: list[Line] = []
    sites_by_id: dict[int, Line] = {}
    communes_by_code: dict[str, Line] = {}
    total = Line(key="", name="")
    for row in space_rows:
        line = Line(
            key=str(row["pk"]),
            name=row["name"],
            site_name=row["site__name"],
            commune_name=row["site__commune__name"],
            bookable=row["bookable"],
            allocatable=row["allocatable"],
            surface_m2=row["surface_m2"],
        )
        for index, (figures, span) in enumerate(
            ((line.current, period), (line.previous, previous_period))
        ):
            if row["bookable"]:
                figures.booked = booked.per_space[index].get(row["pk"], 0.0)
                figures.open = _open_seconds(
                    windows.get(row["pk"], ALWAYS_OPEN), closures.get(row["pk"], ()), span, zone
                )
            if row["allocatable"]:
                figures.allocated = allocated.per_space[index].get(row["pk"], 0.0)
                figures.available = float(row["surface_m2"]) * span.elapsed.total_seconds()
        lines.append(line)
        site = sites_by_id.setdefault(
            row["site_id"],
            Line(
                key=str(row["site_id"]),
                name=row["site__name"],
                commune_name=row["site__commune__name"],
            ),
        )
        commune = communes_by_code.setdefault(
            row["site__commune__insee_code"],
            Line(key=row["site__commune__insee_code"], name=row["site__commune__name"]),
        )
        for aggregate in (site, commune, total):
            aggregate.current.add(line.current)
            aggregate.previous.add(line.previous)
            aggregate.surface_m2 += line.surface_m2
    structures = _structures_of(booked.per_structure, allocated.per_structure)
    return Observatory(
        period=period,
        previous_period=previous_period,
        first_day=first_day,
        last_day=after_day - timedelta(days=1),
        total=total,
        spaces=lines,
        sites=list(sites_by_id.values()),
        communes=list(communes_by_code.values()),
        months=_months(booked.per_month, period),
        vacant=[
            VacantSpace(
                space_id=row["pk"],
                name=row["name"],
                site_name=row["site__name"],
                surface_m2=row["surface_m2"],
                since=row["vacant_since"],
            )
            for row in sorted(
                (row for row in space_rows if row["vacant_since"] is not None),
                key=lambda row: (row["vacant_since"], row["pk"]),
            )
        ],
        structures=structures,
        by_family=_counts(structures, "ess_family", EssFamily),
        by_siae_kind=_counts(
            [s for s in structures if s.siae_kind], "siae_kind", SiaeKind, keep_empty=False
        ),
    )


def _in_sites(rows: QuerySet, path: str, site_ids: QuerySet | None) -> QuerySet:
    return rows if site_ids is None else rows.filter(**{f"{path}__in": site_ids})


def _windows_of(site_ids: QuerySet) -> dict[int, tuple[Window, ...]]:
    windows: dict[int, list[Window]] = defaultdict(list)
    for space_id, weekday, opens, closes in _in_sites(
        OpeningHours.objects.all(), "space__site", site_ids
    ).values_list("space_id", "weekday", "opens", "closes"):
        windows[space_id].append((weekday, opens, closes))
    return {space_id: tuple(rows) for space_id, rows in windows.items()}


def _closures_of(site_ids: QuerySet, period: Period, space_rows: list[dict]) -> dict[int, tuple]:
    """The closed periods of each space (its own and its site's), merged: read from the
    closures, a few rows per site, rather than from their Occupancy rows (one per space)."""
    of_site: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    of_space: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    closed = Closure.objects.filter(_overlapping(period))
    if site_ids is not None:
        closed = closed.filter(Q(site__in=site_ids) | Q(space__site__in=site_ids))
    for site_id, space_id, start, end in closed.values_list("site_id", "space_id", "start", "end"):
        (of_space[space_id] if space_id else of_site[site_id]).append((start, end))
    # A site's closures merged once and shared by its rooms (equal tuples also share the
    # cached open hours); a room with closures of its own gets its own merge.
    merged_site = {site_id: tuple(merge_periods(rows)) for site_id, rows in of_site.items()}
    closures: dict[int, tuple] = {}
    for row in space_rows:
        own = of_space.get(row["pk"])
        site = merged_site.get(row["site_id"], ())
        if own:
            closures[row["pk"]] = tuple(merge_periods([*site, *own]))
        elif site:
            closures[row["pk"]] = site
    return closures


def _open_seconds(windows: tuple, closures: tuple, period: Period, zone: ZoneInfo) -> float:
    return _open_seconds_between(windows, closures, period.start, period.end, zone)


@lru_cache(maxsize=4096)
def _open_seconds_between(
    windows: tuple, closures: tuple, start: datetime, end: datetime, zone: ZoneInfo
) -> float:
    """Open seconds of a space in [start, end): its windows, less the closed time inside them.
    Spaces with the same hours and closures (a site's rooms) share one computation."""
    seconds = opening_seconds(windows, start=start, end=end, zone=zone)
    for closed_from, closed_until in closures:
        seconds -= opening_seconds(
            windows, start=max(closed_from, start), end=min(closed_until, end), zone=zone
        )
    return seconds


@dataclass
class _Used:
    """Seconds (or m²·seconds) per space for the period and the previous one, per structure
    and per month for the period."""

    per_space: tuple[dict[int, float], dict[int, float]] = field(
        default_factory=lambda: (defaultdict(float), defaultdict(float))
    )
    per_structure: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    per_month: dict[date, float] = field(default_factory=lambda: defaultdict(float))


def _bookings_of(
    site_ids: QuerySet, period: Period, current: "_Split", previous: "_Split"
) -> _Used:
    """Booked seconds per space for the period and the previous one, per structure and per
    month (a date counts in the month it starts in, local time) for the period. The whole
    local months of both periods are read from the monthly summary (OccupancyMonth, two
    grouped queries); the rows themselves only for the partial months at their edges (one
    query, none when both periods are whole months)."""
    used = _Used()
    shown = set(_month_starts(period))
    _summed_months(used, site_ids, current, previous, shown)
    _edges(used, site_ids, current.edges, previous.edges, shown)
    return used


@dataclass(frozen=True)
class _Split:
    """A period of local days as its whole local months [first, after) (none: `None`) and the
    partial months at its edges."""

    whole: tuple[date, date] | None
    edges: tuple[Period, ...]


def _split(first_day: date, after_day: date) -> _Split:
    first_whole = first_day if first_day.day == 1 else next_month(first_day)
    after_whole = first_of_month(after_day)
    if first_whole >= after_whole:
        return _Split(None, (local_period(first_day, after_day),))
    edges = tuple(
        local_period(start, end)
        for start, end in ((first_day, first_whole), (after_whole, after_day))
        if start < end
    )
    return _Split((first_whole, after_whole), edges)


def _summed_months(
    used: _Used, site_ids: QuerySet, current: _Split, previous: _Split, shown: set[date]
) -> None:
    """The summary's time in the whole months, in one query: per space for both periods, and
    per structure and month of the dates' start for the period."""
    spans = [split.whole or (date.max, date.max) for split in (current, previous)]
    if current.whole is None and previous.whole is None:
        return
    inner = (
        _in_sites(OccupancyMonth.objects.all(), "space__site", site_ids)
        .filter(reduce(or_, (Q(month__gte=first, month__lt=after) for first, after in spans)))
        .values("space_id", "organisation_id", "start_month", "month", "booked")
        .order_by()
    )
    inner_sql, inner_params = inner.query.sql_with_params()
    connection = connections[inner.db]
    postgresql = connection.vendor == "postgresql"
    seconds = "EXTRACT(EPOCH FROM SUM({}))" if postgresql else "(SUM({}) / 1000000.0)"
    now, before = ("CASE WHEN r.month >= %s AND r.month < %s THEN r.booked END",) * 2
    bounds = [
        OccupancyMonth._meta.get_field("month").get_db_prep_value(day, connection)
        for day in (*spans[0], *spans[1])
    ]
    # Interpolated: Django's compiled SQL and fixed fragments; every value is a parameter.
    if postgresql:
        # One scan, two groupings (docs/decisions.md, issue 15, third pass).
        sql = (
            f"SELECT r.space_id, r.organisation_id, r.start_month, {seconds.format(now)},"  # noqa: S608
            f" {seconds.format(before)} FROM ({inner_sql}) r"
            " GROUP BY GROUPING SETS ((r.space_id), (r.organisation_id, r.start_month))"
        )
        params = [*bounds, *inner_params]
    else:  # SQLite has no GROUPING SETS: the same rows from two groupings, in one statement
        sql = (
            f"SELECT r.space_id, NULL, NULL, {seconds.format(now)}, {seconds.format(before)}"  # noqa: S608
            f" FROM ({inner_sql}) r GROUP BY r.space_id UNION ALL"
            f" SELECT NULL, r.organisation_id, r.start_month, {seconds.format(now)}, NULL"
            f" FROM ({inner_sql}) r GROUP BY r.organisation_id, r.start_month"
        )
        params = [*bounds, *inner_params, *bounds[:2], *inner_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        grouped = cursor.fetchall()
    for space_id, organisation_id, start_month, booked_now, booked_before in grouped:
        booked_now, booked_before = float(booked_now or 0), float(booked_before or 0)
        if space_id is not None:
            used.per_space[0][space_id] += booked_now
            used.per_space[1][space_id] += booked_before
        elif booked_now:
            used.per_structure[organisation_id] += booked_now
            if isinstance(start_month, str):  # SQLite
                start_month = date.fromisoformat(start_month)
            if start_month in shown:
                used.per_month[start_month] += booked_now


def _edges(
    used: _Used,
    site_ids: QuerySet,
    current: tuple[Period, ...],
    previous: tuple[Period, ...],
    shown: set[date],
) -> None:
    """The time of the rows inside the partial months at the periods' edges, summed by the
    database per space, structure and month of the start (the rows of a few weeks)."""
    pieces = [(0, edge) for edge in current] + [(1, edge) for edge in previous]
    if not pieces:
        return
    rows = _in_sites(Occupancy.objects.all(), "space__site", site_ids).filter(
        reduce(or_, (_overlapping(piece) for _index, piece in pieces)),
        active=True,
        kind=OccupancyKind.BOOKING,
    )
    if connections[rows.db].vendor == "postgresql":
        # The same rows through the exclusion constraint's GiST index on the active rows'
        # [start, blocked_until) (end ≤ blocked_until): no scan of the whole history.
        rows = rows.filter(reduce(or_, (Q(_BlockedDuring(piece)) for _index, piece in pieces)))
    grouped = (
        rows.annotate(month=TruncMonth("start", tzinfo=local_zone(), output_field=DateField()))
        .values("space_id", "booking__organisation_id", "month")
        .order_by()
        .annotate(**{f"piece_{n}": _sum(piece) for n, (_index, piece) in enumerate(pieces)})
        .values_list(
            "space_id",
            "booking__organisation_id",
            "month",
            *(f"piece_{n}" for n in range(len(pieces))),
        )
    )
    for space_id, organisation_id, month, *seconds in grouped:
        both = [0.0, 0.0]  # the period, the previous one
        for (index, _piece), piece_seconds in zip(pieces, seconds, strict=True):
            both[index] += piece_seconds
        current_seconds, before = both
        used.per_space[0][space_id] += current_seconds
        used.per_space[1][space_id] += before
        if current_seconds:
            used.per_structure[organisation_id] += current_seconds
            if month in shown:
                used.per_month[month] += current_seconds


class _BlockedDuring(Func):
    """PostgreSQL: the row's [start, blocked_until) meets the period (the expression of the
    exclusion constraint `occupancy_no_overlap`, so that its index applies)."""

    output_field = BooleanField()

    def __init__(self, period: Period) -> None:
        super().__init__(F("start"), F("blocked_until"), _at(period.start), _at(period.end))

    def as_sql(self, compiler, connection, **extra):
        (start, p1), (until, p2), (since, p3), (before, p4) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = f"tstzrange({start}, {until}, '[)') && tstzrange({since}, {before}, '[)')"
        return sql, (*p1, *p2, *p3, *p4)


def _allocations_of(site_ids: QuerySet, period: Period, previous: Period) -> _Used:
    """m²·seconds allocated per space, from the agreements (a few rows) rather than their
    Occupancy rows: each agreement holds its spaces from its first day to its end (or its
    termination), local midnights, as its Occupancy rows do."""
    rows = (
        _in_sites(Allocation.objects.all(), "spaces__site", site_ids)
        .filter(status__in=ALLOCATED_STATUSES, start__lt=_local_day(period.end))
        .annotate(until=Coalesce("terminated_on", "end"))
        .filter(until__gt=_local_day(previous.start))
        .values_list("structure_id", "spaces__id", "spaces__surface_m2", "start", "until")
    )
    used = _Used()
    for structure_id, space_id, surface, first, until in rows:
        held = local_period(first, until)
        for index, span in enumerate((period, previous)):
            seconds = (min(held.end, span.end) - max(held.start, span.start)).total_seconds()
            if seconds > 0:
                used.per_space[index][space_id] += float(surface) * seconds
                if index == 0:
                    used.per_structure[structure_id] += float(surface)
    return used


def _local_day(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def _month_starts(period: Period) -> list[date]:
    """The first day of each month of the period (the first one may start before it)."""
    months, day = [], _local_day(period.start).replace(day=1)
    last = _local_day(period.end - timedelta(microseconds=1))
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _months(per_month: dict[date, float], period: Period) -> list[tuple[date, Decimal]]:
    """Hours booked in each month of the period, the empty months included."""
    return [(day, hours(per_month.get(day, 0.0))) for day in _month_starts(period)]


def _structures_of(booked: dict[int, float], allocated_m2: dict[int, float]) -> list[StructureUse]:
    """Structures hosted in the period: hours of their bookings, m² of their agreements."""
    organisations = Organisation.objects.filter(
        pk__in=booked.keys() | allocated_m2.keys()
    ).values_list("pk", "name", "ess_family", "siae_kind")
    used = [
        StructureUse(
            structure_id=pk,
            name=name,
            ess_family=ess_family,
            siae_kind=siae_kind,
            booked=booked.get(pk, 0.0),
            allocated_m2=Decimal(allocated_m2.get(pk, 0.0)).quantize(Decimal("0.01")),
        )
        for pk, name, ess_family, siae_kind in organisations
    ]
    return sorted(used, key=lambda use: (-use.booked, -use.allocated_m2, use.name))


def _counts(structures: list[StructureUse], attribute: str, choices, *, keep_empty=True):
    counted: dict[str, int] = defaultdict(int)
    for structure in structures:
        counted[getattr(structure, attribute)] += 1
    labels = {str(value): str(label) for value, label in choices.choices}
    result = [
        Count(key=key, label=label, structures=counted.get(key, 0))
        for key, label in labels.items()
        if keep_empty or counted.get(key)
    ]
    if keep_empty and counted.get(""):
        result.append(Count(key="", label=_("Not an ESS structure"), structures=counted[""]))
    return result


def hours(seconds: float) -> Decimal:
    return Decimal(seconds / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def booked_occupancies(
    *, sites: QuerySet[Site], first_day: date, after_day: date, filters: dict[str, str]
) -> tuple[QuerySet[Occupancy], float]:
    """The booked dates behind a dashboard's number (active booking rows of `sites` that
    overlap the period, narrowed by `filters`: lookups on Occupancy), and their seconds inside
    the period: the number the dashboard shows."""
    period = local_period(first_day, after_day)
    rows = Occupancy.objects.filter(
        _overlapping(period),
        space__site__in=sites.values("pk"),
        kind=OccupancyKind.BOOKING,
        active=True,
        **filters,
    )
    seconds = rows.aggregate(seconds=_sum(period))["seconds"]
    listed = rows.select_related("space", "space__site", "booking__organisation").order_by(
        "start", "pk"
    )
    return listed.annotate(seconds_in_period=_clipped_seconds(period)), seconds
