"""Reads for the aid reports: who may see what, yearly aid per structure, the budget annex of a
commune, the valuation certificate of a structure.

In-kind aid is computed from the agreements (signed, active or ended) with
`bookings.allocations.allocation_value_cents`, never stored, so a corrected rent or an early
termination shows at once in every report.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Organisation, OrganisationKind
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.allocations import allocation_value_cents
from bookings.models import Allocation, AllocationStatus
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
    hold an agreement from the user's organisation or on a site the user manages, or all for
    the intercommunality."""
    structures = Organisation.objects.filter(kind=OrganisationKind.ESS)
    if user_is_territory_admin(user):
        return structures
    if not user.is_authenticated:
        return structures.none()
    own = organisations_of(user).values("pk")
    granted = Allocation.objects.filter(owner__in=own).values("structure_id")
    managed = Allocation.objects.filter(spaces__site__managers=user).values("structure_id")
    return structures.filter(Q(pk__in=own) | Q(pk__in=granted) | Q(pk__in=managed))


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

    @property
    def structure(self) -> Organisation:
        return self.allocation.structure

    @property
    def grantor(self) -> Organisation:
        return self.allocation.owner

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


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


# --- Yearly aid per structure ---


@dataclass
class AidRow:
    """A structure's aid from one public body over a year: in kind plus cash."""

    structure: Organisation
    grantor: Organisation
    in_kind_cents: int = 0
    cash_cents: int = 0
    missing_reference_rent: bool = False

    @property
    def total_cents(self) -> int:
        return self.in_kind_cents + self.cash_cents

    @property
    def agreement_compulsory(self) -> bool:
        return rules.agreement_compulsory(self.total_cents)


def yearly_aid(*, year: int, grantors: QuerySet[Organisation]) -> list[AidRow]:
    """Per structure and granting body, the year's aid in kind (agreements) and in cash.

    The 23,000 € flag is per granting body: loi 2000-321 art. 10 binds the body that grants.
    Four queries whatever the number of structures.
    """
    rows: dict[tuple[int, int], AidRow] = {}
    allocations = aid_allocations_in_year(year).filter(owner__in=grantors.values("pk"))
    for line in _lines(allocations, year):
        key = (line.structure.pk, line.grantor.pk)
        row = rows.setdefault(key, AidRow(structure=line.structure, grantor=line.grantor))
        row.in_kind_cents += line.value_cents
        row.missing_reference_rent |= line.missing_reference_rent
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
    commune: Commune
    year: int
    rows: list[AgreementLine] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(row.value_cents for row in self.rows)

    @property
    def compulsory(self) -> bool | None:
        return rules.annex_compulsory(self.commune.population)


def budget_annex(*, commune: Commune, year: int) -> BudgetAnnex:
    """The in-kind support the commune (as owner of the premises) gave over `year`, one row per
    agreement with the year's share of its valuation."""
    if commune.organisation_id is None:
        return BudgetAnnex(commune=commune, year=year)
    allocations = aid_allocations_in_year(year).filter(owner_id=commune.organisation_id)
    rows = sorted(
        _lines(allocations, year),
        key=lambda line: (line.structure.name.casefold(), line.first_day, line.allocation.pk),
    )
    return BudgetAnnex(commune=commune, year=year, rows=rows)


# --- Valuation certificate of a structure (accounts 86/87) ---


@dataclass
class ValuationCertificate:
    structure: Organisation
    year: int
    rows: list[AgreementLine] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(row.value_cents for row in self.rows)

    @property
    def has_missing_values(self) -> bool:
        return any(row.missing_reference_rent for row in self.rows)


def valuation_certificate(*, structure: Organisation, year: int) -> ValuationCertificate:
    """The premises the structure used free or below their rental value over `year`, valued."""
    allocations = aid_allocations_in_year(year).filter(structure=structure)
    rows = sorted(
        _lines(allocations, year),
        key=lambda line: (line.grantor.name.casefold(), line.first_day, line.allocation.pk),
    )
    return ValuationCertificate(structure=structure, year=year, rows=rows)
