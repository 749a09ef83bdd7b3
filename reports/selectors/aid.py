"""Reads for the aid reports: who may see what, yearly aid per structure, the budget annex of a
commune, the valuation certificate of a structure, the SCDL subsidies file.

In-kind aid is never stored; it is computed from
- the agreements (signed, active or ended) with `bookings.allocations.allocation_value_cents`;
- the hourly bookings (confirmed, their dates still held) with `reports.rules`: the public price
  of the dates held (`public_reference_cents`) minus what was paid net of refunds
  (`booking_aid_cents`), see `booking_aid_lines`.
So a corrected rent, an early termination, a cancelled date or a refund shows at once in every
report: the aid list, the 23,000 € flag, the budget annex, the certificate and the open data
all read the lines of `_aid_lines`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import ClassVar

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.allocations import allocation_value_cents
from bookings.models import (
    Allocation,
    AllocationStatus,
    Booking,
    BookingStatus,
    Occupancy,
    OccupancyKind,
)
from bookings.selectors import local_zone
from payments.models import BOOKING_CHARGES, ENDED, Payment
from payments.rules import shared_split
from payments.selectors import RoomDate, category_of, rooms_quote, tariffs_of_spaces
from reports import rules
from reports.models import CashSubsidy
from spaces.models import Commune, Space

# Agreements that gave (or give) the structure the use of the premises.
AID_STATUSES = (AllocationStatus.SIGNED, AllocationStatus.ACTIVE, AllocationStatus.ENDED)


# --- Permissions (querysets: outsiders get a 404) ---


def aid_grantors_for(user: AnyUser) -> QuerySet[Organisation]:
    """Public bodies whose aid the user reports on: all for the intercommunality, else the
    user's own commune or other owning body."""
    if user_is_territory_admin(user):
        return Organisation.objects.exclude(kind=OrganisationKind.ESS)
    return organisations_of(user).exclude(kind=OrganisationKind.ESS)


def cash_subsidies_editable_by(user: AnyUser) -> QuerySet[CashSubsidy]:
    return CashSubsidy.objects.filter(granted_by__in=aid_grantors_for(user).values("pk"))


def communes_reportable_by(user: AnyUser) -> QuerySet[Commune]:
    """Communes whose budget annex the user may read: all for the intercommunality, else the
    user's own commune."""
    communes = Commune.objects.filter(organisation__isnull=False)
    if user_is_territory_admin(user):
        return communes
    return communes.filter(organisation__in=organisations_of(user).values("pk"))


def structures_certifiable_by(user: AnyUser) -> QuerySet[Organisation]:
    """ESS structures whose valuation certificate the user may download: their own, those that
    hold an agreement from the user's organisation or on a site the user manages, those that
    booked its rooms (the aid list shows them for their bookings alone), or all for the
    intercommunality."""
    structures = Organisation.objects.filter(kind=OrganisationKind.ESS)
    if user_is_territory_admin(user):
        return structures
    if not user.is_authenticated:
        return structures.none()
    own = organisations_of(user).values("pk")
    granted = Allocation.objects.filter(owner__in=own).values("structure_id")
    managed = Allocation.objects.filter(spaces__site__managers=user).values("structure_id")
    booked = Booking.objects.filter(
        Q(space__site__owner__in=own) | Q(space__site__managers=user),
        status=BookingStatus.CONFIRMED,
    ).values("organisation_id")
    return structures.filter(
        Q(pk__in=own) | Q(pk__in=granted) | Q(pk__in=managed) | Q(pk__in=booked)
    )


# --- Agreements of a year ---


def aid_allocations_in_year(year: int) -> QuerySet[Allocation]:
    """Agreements that gave the use of premises for at least one day of `year`."""
    first_day, after = rules.year_window(year)
    return (
        Allocation.objects.filter(status__in=AID_STATUSES, start__lt=after)
        .annotate(effective_end=Coalesce("terminated_on", "end"))
        .filter(effective_end__gt=first_day)
        .select_related("structure", "owner")
        .prefetch_related(
            Prefetch(
                "spaces",
                queryset=Space.objects.select_related("site", "site__commune").order_by(
                    "site__name", "name"
                ),
            )
        )
    )


@dataclass(frozen=True)
class AgreementLine:
    """One agreement's share of a year: who, where, which days, what it is worth."""

    allocation: Allocation
    premises: str
    insee_code: str
    commune_name: str
    first_day: date
    last_day: date
    value_cents: int
    missing_reference_rent: bool

    kind: ClassVar[str] = "agreement"

    @property
    def source_pk(self) -> int:
        return self.allocation.pk

    @property
    def structure(self) -> Organisation:
        return self.allocation.structure

    @property
    def grantor(self) -> Organisation:
        return self.allocation.owner

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _by_pk(space: Space) -> int:
    return space.pk


def _premises(spaces: list[Space]) -> str:
    by_site: dict[int, list[Space]] = {}
    for space in spaces:
        by_site.setdefault(space.site_id, []).append(space)
    parts = []
    for site_spaces in by_site.values():
        site = site_spaces[0].site
        names = ", ".join(space.name for space in site_spaces)
        parts.append(
            f"{site.name} — {names} ({site.address_line}, {site.postcode} {site.commune.name})"
        )
    return " ; ".join(parts)


def _agreement_line(allocation: Allocation, year: int) -> AgreementLine | None:
    """The agreement's line for `year`; None when it gave no aid that year (a fee at or above
    the rental value), unless the value is unknown because a space has no reference rent."""
    period = rules.period_in_year(
        start=allocation.start, end=allocation.terminated_on or allocation.end, year=year
    )
    if period is None:
        return None
    spaces = list(allocation.spaces.all())
    missing = any(space.reference_rent is None for space in spaces)
    value = allocation_value_cents(allocation=allocation, year=year)
    if value == 0 and not missing:
        return None
    commune = spaces[0].site.commune if spaces else None
    return AgreementLine(
        allocation=allocation,
        premises=_premises(spaces),
        insee_code=commune.insee_code if commune else "",
        commune_name=commune.name if commune else "",
        first_day=period[0],
        last_day=period[1],
        value_cents=value,
        missing_reference_rent=missing,
    )


def _lines(allocations: QuerySet[Allocation], year: int) -> list[AgreementLine]:
    lines = (_agreement_line(allocation, year) for allocation in allocations)
    return [line for line in lines if line is not None]


# --- Hourly bookings of a year ---


@dataclass(frozen=True)
class BookingLine:
    """One hourly booking's share of a year: its dates held in the year, valued at the space's
    public rate, minus what the structure paid for them (`booking_aid_lines`)."""

    booking: Booking
    premises: str
    insee_code: str
    commune_name: str
    first_day: date
    last_day: date
    dates: int
    held_seconds: int
    reference_cents: int | None  # the public price of the dates, rounded for display only
    value_cents: int
    missing_reference_rent: bool  # no public rate: value unknown, shown as 0 and flagged
    # Issue 17: made in a time the occupant of an agreement shares: the aid is granted by
    # the owner and by the occupant, who gives up its time, split as the window says.
    occupant: Organisation | None = None
    occupant_percent: int = 0

    kind: ClassVar[str] = "booking"

    @property
    def occupant_value_cents(self) -> int:
        """The occupant's part of the value (`payments.rules.shared_split`); 0 if not shared."""
        return shared_split(self.value_cents, self.occupant_percent).occupant_cents

    @property
    def owner_value_cents(self) -> int:
        return self.value_cents - self.occupant_value_cents

    @property
    def structure(self) -> Organisation:
        return self.booking.organisation

    @property
    def grantor(self) -> Organisation:
        return self.booking.space.site.owner

    @property
    def source_pk(self) -> int:
        return self.booking.pk

    @property
    def days(self) -> int:
        """Dates held in the year (the CSV's `jours` column)."""
        return self.dates

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.held_seconds) / rules.SECONDS_PER_HOUR).quantize(Decimal("0.01"))


def _booking_scope(
    *, owners: QuerySet[Organisation] | None, structure: Organisation | None
) -> QuerySet[Occupancy]:
    """The dates actually held by ESS structures on public premises: dates of confirmed
    bookings not cancelled one by one (a cancelled, refused or lapsed booking frees its rows,
    a cancelled date of a series is inactive). A pending request is not aid granted yet."""
    held = Occupancy.objects.filter(
        kind=OccupancyKind.BOOKING,
        active=True,
        booking__status=BookingStatus.CONFIRMED,
        booking__organisation__kind=OrganisationKind.ESS,
    ).exclude(booking__space__site__owner__kind=OrganisationKind.ESS)
    if owners is not None:
        held = held.filter(booking__space__site__owner__in=owners.values("pk"))
    if structure is not None:
        held = held.filter(booking__organisation=structure)
    return held


# Ids in one IN (...) list: well below SQLite's limit of parameters per query.
IDS_PER_QUERY = 900


def _paid_cents(
    bookings: dict[int, Booking],
    booking_ids: QuerySet,
    tariffs: dict[tuple[int, str], dict[str, int]],
    rooms: dict[int, set[int]],
    spaces: dict[int, Space],
) -> dict[int, int]:
    """What each booking cost its structure, net of refunds, over all its held dates.

    Paid by card: what was captured minus what was refunded (one aggregate query). Otherwise
    the fee its tariff asks for the held dates (`price_quote`, the amount of the titre de
    recettes of payments.selectors.billing_lines); 0 when free or not priced. Only the dates of
    the bookings in that last case are read (one query), to price them as the titre does, each
    date at the tariff of the room it is held in (`rooms_quote`; `rooms`: each booking's rooms,
    `spaces`: those rooms).
    `booking_ids`: the ids of `bookings` as a subquery (no list of ids in the SQL: a territory's
    year may hold more bookings than SQLite takes parameters).
    """
    card = {
        row["booking_id"]: row["paid"]
        for row in Payment.objects.filter(
            # The fee and the supplements a change added (issue 16): what the booking cost.
            booking_id__in=booking_ids,
            purpose__in=BOOKING_CHARGES,
        )
        .exclude(status__in=ENDED)
        .values("booking_id")
        .annotate(paid=Sum(F("captured_cents") - F("refunded_cents")))
        .order_by()
    }
    paid = {pk: card.get(pk, 0) or 0 for pk in bookings}

    def charged(space_id: int, booking: Booking) -> bool:
        asked = tariffs.get((space_id, category_of(booking.organisation)), {})
        return any(asked.values()) and 0 not in asked.values()

    billed = [
        pk
        for pk, booking in bookings.items()
        if pk not in card and any(charged(space_id, booking) for space_id in rooms[pk])
    ]
    if not billed:
        return paid
    dates: dict[int, list[RoomDate]] = defaultdict(list)
    for first in range(0, len(billed), IDS_PER_QUERY):  # one query below IDS_PER_QUERY
        for booking_id, space_id, start, end in (
            _booking_scope(owners=None, structure=None)
            .filter(booking_id__in=billed[first : first + IDS_PER_QUERY])
            .order_by("start", "pk")
            .values_list("booking_id", "space_id", "start", "end")
        ):
            dates[booking_id].append((space_id, start, end))
    for pk in billed:
        price = rooms_quote(
            organisation=bookings[pk].organisation,
            dates=dates[pk],
            spaces=spaces,
            tariffs_by_space=tariffs,
        )
        paid[pk] = price.amount_cents if price is not None else 0
    return paid


def booking_aid_lines(
    *,
    year: int,
    owners: QuerySet[Organisation] | None = None,
    structure: Organisation | None = None,
) -> list[BookingLine]:
    """The hourly bookings that were in-kind aid over `year`, one line per booking: free or
    charged below the space's public rate (`rules.PUBLIC_CATEGORY`), valued at that rate minus
    what was paid; or free on a space without a public rate (flagged, valued 0).

    Durations are summed by the database (Sum of end − start, real elapsed time whatever the
    clock change), per booking, for the year (by the local date each date starts on) and over
    the booking's whole life (to share its payment between years): one aggregate query, then
    the bookings, their tariffs and their payments in one query each, plus the dates of the
    bookings billed by tariff (see `_paid_cents`). Constant in the number of bookings.
    """
    zone = local_zone()
    first_day, after = rules.year_window(year)
    year_start = datetime.combine(first_day, time.min, tzinfo=zone)
    year_end = datetime.combine(after, time.min, tzinfo=zone)
    held = _booking_scope(owners=owners, structure=structure)
    in_year = Q(start__gte=year_start, start__lt=year_end)
    elapsed = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    booking_ids = held.filter(in_year).values("booking_id")
    # Per booking and room: a series moved from a date (issue 16) holds its earlier dates in
    # the old room, valued at that room's public rate.
    per_room = list(
        held.filter(booking_id__in=booking_ids)
        .values("booking_id", "space_id")
        .annotate(
            in_year=Sum(elapsed, filter=in_year),
            total=Sum(elapsed),
            dates=Count("pk", filter=in_year),
            first=Min("start", filter=in_year),
            last=Max("start", filter=in_year),
        )
        .order_by("booking_id", "space_id")
    )
    if not per_room:
        return []
    aggregates: dict[int, list[dict]] = defaultdict(list)
    for row in per_room:
        aggregates[row["booking_id"]].append(row)
    bookings = Booking.objects.select_related(
        "organisation",
        "space__site__commune",
        "space__site__owner",
        "sharing_window__allocation__structure",
    ).in_bulk(aggregates)
    rooms = {pk: {row["space_id"] for row in rows} for pk, rows in aggregates.items()}
    spaces = {booking.space_id: booking.space for booking in bookings.values()}
    other_rooms = set().union(*rooms.values()) - spaces.keys()
    if other_rooms:  # only when a booking moved from a date: one query
        spaces |= Space.objects.select_related("site__commune").in_bulk(other_rooms)
    tariffs = tariffs_of_spaces(spaces)
    paid = _paid_cents(bookings, booking_ids, tariffs, rooms, spaces)
    lines = []
    for pk, rows in aggregates.items():
        booking = bookings[pk]
        in_year_rows = [row for row in rows if row["dates"]]
        in_year_seconds = sum(int(row["in_year"].total_seconds()) for row in in_year_rows)
        total_seconds = sum(int(row["total"].total_seconds()) for row in rows)
        references = [
            rules.public_reference_cents(
                tariffs=tariffs.get((row["space_id"], rules.PUBLIC_CATEGORY), {}),
                held_seconds=int(row["in_year"].total_seconds()),
                dates=row["dates"],
            )
            for row in in_year_rows
        ]
        # A room without a public rate adds nothing; none at all: the value is missing.
        known = [reference for reference in references if reference is not None]
        reference = sum(known) if known else None
        if reference is None:
            if paid[booking.pk]:
                continue  # a fee with no public rate to compare it with: no evidence of aid
            value = 0
        else:
            value = rules.booking_aid_cents(
                reference_cents=reference,
                held_seconds_in_year=in_year_seconds,
                held_seconds_total=total_seconds,
                paid_cents=paid[booking.pk],
            )
            if value == 0:
                continue
        row = {
            "first": min(row["first"] for row in in_year_rows),
            "last": max(row["last"] for row in in_year_rows),
            "dates": sum(row["dates"] for row in in_year_rows),
        }
        site = booking.space.site
        lines.append(
            BookingLine(
                booking=booking,
                premises=_premises(sorted((spaces[room] for room in rooms[pk]), key=_by_pk)),
                insee_code=site.commune.insee_code,
                commune_name=site.commune.name,
                first_day=row["first"].astimezone(zone).date(),
                last_day=row["last"].astimezone(zone).date(),
                dates=row["dates"],
                held_seconds=in_year_seconds,
                reference_cents=None if reference is None else rules.round_half_up(reference),
                value_cents=value,
                missing_reference_rent=reference is None,
                **_shared_aid(booking),
            )
        )
    return lines


def _shared_aid(booking: Booking) -> dict:
    """The occupant and its share of a booking made in a shared time (issue 17)."""
    window = booking.sharing_window
    if window is None:
        return {}
    return {
        "occupant": window.allocation.structure,
        "occupant_percent": window.occupant_share_percent,
    }


AidLine = AgreementLine | BookingLine


def _line_order(line: AidLine) -> tuple:
    """Agreements first, then bookings; each by first day and id."""
    return (line.kind != "agreement", line.first_day, line.source_pk)


# --- Yearly aid per structure ---


def _aid_lines(
    *,
    year: int,
    owners: QuerySet[Organisation] | None = None,
    structure: Organisation | None = None,
) -> list[AidLine]:
    """Every in-kind aid line of `year` (agreements, then hourly bookings), of the premises of
    `owners` and/or to `structure`: the one source of every report."""
    allocations = aid_allocations_in_year(year)
    if owners is not None:
        allocations = allocations.filter(owner__in=owners.values("pk"))
    if structure is not None:
        allocations = allocations.filter(structure=structure)
    lines: list[AidLine] = list(_lines(allocations, year))
    lines += booking_aid_lines(year=year, owners=owners, structure=structure)
    return lines


@dataclass
class AidRow:
    """A structure's aid from one public body over a year: in kind plus cash."""

    structure: Organisation
    grantor: Organisation
    in_kind_cents: int = 0
    cash_cents: int = 0
    missing_reference_rent: bool = False
    agreements_cents: int = 0  # the in-kind part from agreements
    bookings_cents: int = 0  # the in-kind part from hourly bookings
    first_day: date | None = None  # of the use of premises within the year
    last_day: date | None = None
    decision_references: list[str] = field(default_factory=list)  # of the agreements

    @property
    def total_cents(self) -> int:
        return self.in_kind_cents + self.cash_cents

    @property
    def agreement_compulsory(self) -> bool:
        return rules.agreement_compulsory(self.total_cents)

    @property
    def scdl_nature(self) -> str:
        return rules.scdl_nature(in_kind_cents=self.in_kind_cents, cash_cents=self.cash_cents)


def yearly_aid(*, year: int, grantors: QuerySet[Organisation]) -> list[AidRow]:
    """Per structure and granting body, the year's aid in kind (agreements and hourly bookings)
    and in cash.

    The 23,000 € flag is per granting body: loi 2000-321 art. 10 binds the body that grants.
    A constant number of queries whatever the number of structures, agreements and bookings.
    """
    rows: dict[tuple[int, int], AidRow] = {}
    for line in _aid_lines(year=year, owners=grantors):
        key = (line.structure.pk, line.grantor.pk)
        row = rows.setdefault(key, AidRow(structure=line.structure, grantor=line.grantor))
        row.in_kind_cents += line.value_cents
        if line.kind == "agreement":
            row.agreements_cents += line.value_cents
        else:
            row.bookings_cents += line.value_cents
        row.missing_reference_rent |= line.missing_reference_rent
        row.first_day = min(row.first_day or line.first_day, line.first_day)
        row.last_day = max(row.last_day or line.last_day, line.last_day)
        reference = line.allocation.free_use_reference if line.kind == "agreement" else ""
        if reference and reference not in row.decision_references:
            row.decision_references.append(reference)
    cash = (
        CashSubsidy.objects.filter(year=year, granted_by__in=grantors.values("pk"))
        .values("structure_id", "granted_by_id")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    cash_totals = {(item["structure_id"], item["granted_by_id"]): item["total"] for item in cash}
    missing_ids = {pk for key in cash_totals if key not in rows for pk in key}
    organisations = Organisation.objects.in_bulk(missing_ids) if missing_ids else {}
    for (structure_id, grantor_id), total in cash_totals.items():
        row = rows.get((structure_id, grantor_id))
        if row is None:
            row = rows[(structure_id, grantor_id)] = AidRow(
                structure=organisations[structure_id], grantor=organisations[grantor_id]
            )
        row.cash_cents += total
    return sorted(
        rows.values(),
        key=lambda row: (row.structure.name.casefold(), row.grantor.name.casefold()),
    )


def cash_subsidies_in_year(*, year: int, grantors: QuerySet[Organisation]) -> QuerySet:
    return (
        CashSubsidy.objects.filter(year=year, granted_by__in=grantors.values("pk"))
        .select_related("structure", "granted_by")
        .order_by("structure__name", "pk")
    )


# --- Budget annex of a commune (CGCT L2313-1) ---


@dataclass
class BudgetAnnex:
    """The support a commune granted over a year: in kind (agreements and hourly bookings,
    `rows`) and in cash (`cash`)."""

    commune: Commune
    year: int
    rows: list[AidLine] = field(default_factory=list)
    cash: list[CashSubsidy] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        """The support in kind."""
        return sum(row.value_cents for row in self.rows)

    @property
    def cash_total_cents(self) -> int:
        return sum(subsidy.amount_cents for subsidy in self.cash)

    @property
    def grand_total_cents(self) -> int:
        return self.total_cents + self.cash_total_cents

    @property
    def compulsory(self) -> bool | None:
        return rules.annex_compulsory(self.commune.population)


def budget_annex(*, commune: Commune, year: int) -> BudgetAnnex:
    """The support the commune (as owner of the premises, and as grantor of cash subsidies) gave
    over `year`: one row per agreement and per hourly booking with the year's share of its
    valuation, then the cash subsidies."""
    if commune.organisation_id is None:
        return BudgetAnnex(commune=commune, year=year)
    owners = Organisation.objects.filter(pk=commune.organisation_id)
    rows = sorted(
        _aid_lines(year=year, owners=owners),
        key=lambda line: (line.structure.name.casefold(), *_line_order(line)),
    )
    cash = list(
        CashSubsidy.objects.filter(year=year, granted_by_id=commune.organisation_id)
        .select_related("structure")
        .order_by("structure__name", "pk")
    )
    return BudgetAnnex(commune=commune, year=year, rows=rows, cash=cash)


# --- Valuation certificate of a structure (accounts 86/87) ---


@dataclass
class ValuationCertificate:
    structure: Organisation
    year: int
    rows: list[AidLine] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(row.value_cents for row in self.rows)

    @property
    def has_missing_values(self) -> bool:
        return any(row.missing_reference_rent for row in self.rows)


def valuation_certificate(*, structure: Organisation, year: int) -> ValuationCertificate:
    """The premises the structure used free or below their value over `year`, valued: its
    agreements and its hourly bookings (those on public premises: `_booking_scope`)."""
    rows = sorted(
        _aid_lines(year=year, structure=structure),
        key=lambda line: (line.grantor.name.casefold(), *_line_order(line)),
    )
    return ValuationCertificate(structure=structure, year=year, rows=rows)


# --- Open data: SCDL "subventions" 2.1.1 ---


def subsidy_publishers(siren: str | None = None) -> QuerySet[Organisation]:
    """The public bodies whose subsidies file is published (anyone may read it: décret
    2017-779): those with a SIRET, the identifier the file is named and keyed by; with `siren`,
    the establishments of that legal entity."""
    publishers = Organisation.objects.exclude(kind=OrganisationKind.ESS).exclude(siret="")
    if siren is not None:
        publishers = publishers.filter(siret__startswith=siren)
    return publishers


def subsidy_years(publishers: QuerySet[Organisation], *, current_year: int) -> dict[int, list[int]]:
    """The years of each publisher's subsidies file worth listing, newest first: the current
    year (its file fills as the year goes) and every earlier year in which the publisher granted
    aid of any kind — an agreement in force, a date held by a structure on its premises, a cash
    subsidy. Whether a year's aid reaches 23,000 € for a structure is the file's own question
    (a year below it has an empty file, which is an answer too). Four queries whatever the number
    of publishers, agreements and dates."""
    owners = {publisher.pk for publisher in publishers}
    years: dict[int, set[int]] = {pk: {current_year} for pk in owners}
    today = timezone.localdate()
    for owner_id, start, end in (
        Allocation.objects.filter(status__in=AID_STATUSES, owner__in=owners)
        .annotate(effective_end=Coalesce("terminated_on", "end"))
        .values_list("owner_id", "start", "effective_end")
    ):
        last = min(end - timedelta(days=1), today) if end is not None else today
        years[owner_id].update(range(start.year, last.year + 1))
    for owner_id, year in (
        _booking_scope(owners=None, structure=None)
        .filter(booking__space__site__owner__in=owners)
        .annotate(year=ExtractYear("start", tzinfo=local_zone()))
        .values_list("booking__space__site__owner_id", "year")
        .distinct()
        .order_by()
    ):
        years[owner_id].add(year)
    for owner_id, year in (
        CashSubsidy.objects.filter(granted_by__in=owners)
        .values_list("granted_by_id", "year")
        .distinct()
        .order_by()
    ):
        years[owner_id].add(year)
    return {
        pk: sorted((year for year in found if year <= current_year), reverse=True)
        for pk, found in years.items()
    }


@dataclass(frozen=True)
class OpenDataSubsidy:
    """One row of a SCDL subsidies file: a structure's aid of 23,000 € or more from the
    grantor over the year, with the cash subsidies that make part of it."""

    aid: AidRow
    cash: list[CashSubsidy]


def open_data_subsidies(*, grantors: QuerySet[Organisation], year: int) -> list[OpenDataSubsidy]:
    """The aid of `grantors` (one legal entity: the establishments of one SIREN) over `year`
    that reaches 23,000 € for one structure from one of them (cash and in kind together: the
    flag of the aid report), the rows of their SCDL subsidies file."""
    rows = [row for row in yearly_aid(year=year, grantors=grantors) if row.agreement_compulsory]
    if not rows:
        return []
    cash: dict[tuple[int, int], list[CashSubsidy]] = defaultdict(list)
    for subsidy in CashSubsidy.objects.filter(
        year=year,
        granted_by__in=grantors.values("pk"),
        structure__in=[row.structure.pk for row in rows],
    ).order_by("entered_at", "pk"):
        cash[(subsidy.structure_id, subsidy.granted_by_id)].append(subsidy)
    return [OpenDataSubsidy(aid=row, cash=cash[(row.structure.pk, row.grantor.pk)]) for row in rows]
