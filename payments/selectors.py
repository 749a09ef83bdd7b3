"""Reads of payments: tariffs, channels, the price of a booking, permission-scoped payments,
billing lines for the public accountant and the monthly payments of agreements."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Allocation, AllocationStatus, Booking, BookingStatus, Occupancy
from bookings.selectors import (
    allocations_manageable_by,
    allocations_visible_to,
    bookings_manageable_by,
    bookings_visible_to,
    local_zone,
)
from payments.models import (
    ENDED,
    FINAL,
    ChannelKind,
    Invoice,
    InvoiceKind,
    Payment,
    PaymentChannel,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
    Tariff,
)
from payments.rules import (
    OrganisationCategory,
    Price,
    agreement_month_price,
    agreement_months,
    booking_price,
    organisation_category,
)
from spaces.models import Space


def category_of(organisation: Organisation) -> str:
    return organisation_category(
        kind=organisation.kind,
        ess_family=organisation.ess_family,
        siae_kind=organisation.siae_kind,
    )


def collecting_organisation(space: Space) -> Organisation:
    """Who collects the fees of a space: the body that runs the building, else its owner."""
    site = space.site
    return site.managing_organisation or site.owner


def channel_of(space: Space) -> PaymentChannel | None:
    return PaymentChannel.objects.filter(owner=collecting_organisation(space)).first()


def tariffs_for(*, space: Space, category: str) -> dict[str, int]:
    return dict(
        Tariff.objects.filter(space=space, category=category).values_list("unit", "amount_cents")
    )


def tariffs_of_spaces(space_ids: Iterable[int]) -> dict[tuple[int, str], dict[str, int]]:
    """The tariffs of several spaces in one query: (space id, category) → unit → amount."""
    tariffs: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for space_id, category, unit, amount_cents in Tariff.objects.filter(
        space_id__in=space_ids
    ).values_list("space_id", "category", "unit", "amount_cents"):
        tariffs[space_id, category][unit] = amount_cents
    return tariffs


def price_quote(
    *,
    space: Space,
    organisation: Organisation,
    occurrences: list[tuple[datetime, datetime]],
    tariffs_by_space: dict[tuple[int, str], dict[str, int]] | None = None,
) -> Price | None:
    """The price the requester will pay, with its rule; None when the space has no tariff for
    the organisation's category (no fee is asked).

    `tariffs_by_space` (from `tariffs_of_spaces`) saves a query per price in a list."""
    category = category_of(organisation)
    if tariffs_by_space is None:
        tariffs = tariffs_for(space=space, category=category)
    else:
        tariffs = tariffs_by_space.get((space.pk, category), {})
    return booking_price(
        occurrences=occurrences,
        tariffs=tariffs,
        category_label=str(OrganisationCategory(category).label),
        zone=local_zone(),
    )


def space_is_priced(space: Space) -> bool:
    """Whether the space has any tariff at all (else no price is shown)."""
    return Tariff.objects.filter(space=space).exists()


def booking_quote(*, booking: Booking) -> Price | None:
    """The price of a booking's dates that are still active."""
    occurrences = list(
        booking.occupancies.filter(active=True).order_by("start").values_list("start", "end")
    )
    if not occurrences:
        occurrences = [(booking.start, booking.end)]
    return price_quote(
        space=booking.space, organisation=booking.organisation, occurrences=occurrences
    )


def payments_visible_to(user: AnyUser) -> QuerySet[Payment]:
    """Payments of bookings and agreements the user may see: the payer's members, the
    collector's, the intercommunality."""
    return Payment.objects.filter(
        Q(booking__in=bookings_visible_to(user).values("pk"))
        | Q(allocation__in=allocations_visible_to(user).values("pk"))
    )


def payments_manageable_by(user: AnyUser) -> QuerySet[Payment]:
    """Payments the user may refund or settle: those of the bookings and agreements they
    manage (the building's managers, its owner's staff), those collected by one of their
    organisations, every one for the intercommunality."""
    if user_is_territory_admin(user):
        return Payment.objects.all()
    return Payment.objects.filter(
        Q(owner__in=organisations_of(user).values("pk"))
        | Q(booking__in=bookings_manageable_by(user).values("pk"))
        | Q(allocation__in=allocations_manageable_by(user).values("pk"))
    )


def payments_payable_by(user: AnyUser) -> QuerySet[Payment]:
    """Payments the user may pay: those of their organisations' bookings and agreements."""
    mine = organisations_of(user).values("pk")
    return Payment.objects.filter(
        Q(booking__organisation__in=mine) | Q(allocation__structure__in=mine)
    )


def payment_live_of(
    *, booking: Booking, purpose: str = PaymentPurpose.BOOKING_FEE
) -> Payment | None:
    """The booking's payment for `purpose` that still stands: not failed, not released (at
    most one: a constraint)."""
    return booking.payments.filter(purpose=purpose).exclude(status__in=ENDED).first()


def payments_to_reconcile(*, days: int, now: datetime | None = None) -> QuerySet[Payment]:
    """Payments with a PaymentIntent whose state may still change, created in the last days."""
    now = now or timezone.now()
    return (
        Payment.objects.exclude(stripe_intent_id="")
        .exclude(status__in=FINAL)
        .filter(created_at__gte=now - timedelta(days=days))
        .select_related("owner__payment_channel")
        .order_by("pk")
    )


# --- Public-accounting export: billing lines for the finance department ---


def accounting_owners_for(user: AnyUser) -> QuerySet[Organisation]:
    """Owners collecting through the public accountant whose billing lines the user may
    export: their own organisation, or all of them for the intercommunality."""
    owners = Organisation.objects.filter(payment_channel__kind=ChannelKind.PUBLIC_ACCOUNTING)
    if user_is_territory_admin(user):
        return owners
    return owners.filter(pk__in=organisations_of(user).values("pk"))


@dataclass(frozen=True)
class BillingLine:
    """One titre de recettes to issue: a confirmed booking's fee for its dates in a period
    (reference RES-<id>), or one month of an agreement's fee (CONV-<id>)."""

    debtor: Organisation
    reference: str
    label: str  # the premises, as the finance department names them on the titre
    amount_cents: int
    rule: str
    first_day: date
    last_day: date


def _booking_billing_lines(
    *, owner: Organisation, first_day: date, last_day: date
) -> list[BillingLine]:
    """Confirmed bookings with a fee on the spaces `owner` collects for, priced on their active
    dates starting between `first_day` and `last_day`."""
    zone = local_zone()
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    collected = Q(booking__space__site__managing_organisation=owner) | Q(
        booking__space__site__managing_organisation__isnull=True,
        booking__space__site__owner=owner,
    )
    rows = (
        Occupancy.objects.filter(
            collected,
            active=True,
            booking__status=BookingStatus.CONFIRMED,
            start__gte=start,
            start__lt=end,
        )
        .order_by("start", "pk")
        .values_list("booking_id", "start", "end")
    )
    dates: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for booking_id, occurrence_start, occurrence_end in rows:
        dates[booking_id].append((occurrence_start, occurrence_end))
    bookings = Booking.objects.select_related("organisation", "space__site").in_bulk(dates)
    tariffs = tariffs_of_spaces({booking.space_id for booking in bookings.values()})
    lines = []
    for booking_id, occurrences in dates.items():
        booking = bookings[booking_id]
        price = price_quote(
            space=booking.space,
            organisation=booking.organisation,
            occurrences=occurrences,
            tariffs_by_space=tariffs,
        )
        if price is None or price.is_free:
            continue
        lines.append(
            BillingLine(
                debtor=booking.organisation,
                reference=f"RES-{booking.pk}",
                label=f"{booking.space.name} — {booking.space.site.name}",
                amount_cents=price.amount_cents,
                rule=price.rule,
                first_day=occurrences[0][0].astimezone(zone).date(),
                last_day=occurrences[-1][0].astimezone(zone).date(),
            )
        )
    return lines


def _agreement_billing_lines(
    *, owner: Organisation, first_day: date, last_day: date
) -> list[BillingLine]:
    """One line per month of each agreement with a fee that `owner` collects, for the months
    whose first occupied day lies in the period (see `agreement_months`)."""
    candidates = agreements_billable(first_day=first_day, last_day=last_day).filter(
        Q(owner=owner) | Q(spaces__site__managing_organisation=owner)
    )
    lines = []
    for allocation in candidates.distinct().order_by("pk"):
        if agreement_collector(allocation).pk != owner.pk:
            continue
        label = "; ".join(
            f"{space.name} — {space.site.name}"
            for space in sorted(allocation.spaces.all(), key=lambda space: space.pk)
        )
        for month_start, period_start, period_end in agreement_months(
            agreement_start=allocation.start,
            agreement_end=agreement_occupied_end(allocation),
            first_day=first_day,
            last_day=last_day,
        ):
            price = agreement_month_price_of(allocation, month_start=month_start)
            lines.append(
                BillingLine(
                    debtor=allocation.structure,
                    reference=f"CONV-{allocation.pk}",
                    label=label,
                    amount_cents=price.amount_cents,
                    rule=price.rule,
                    first_day=period_start,
                    last_day=period_end - timedelta(days=1),
                )
            )
    return lines


def billing_lines(*, owner: Organisation, first_day: date, last_day: date) -> list[BillingLine]:
    """What `owner` bills between `first_day` and `last_day` (local days, both included):
    confirmed bookings with a fee on the spaces it collects for, and the months of its
    agreements with a fee; by first day, then reference."""
    lines = _booking_billing_lines(owner=owner, first_day=first_day, last_day=last_day)
    lines += _agreement_billing_lines(owner=owner, first_day=first_day, last_day=last_day)
    return sorted(lines, key=lambda line: (line.first_day, line.reference))


# --- Monthly fees of agreements ---

# From signature to end the fee is owed for the days occupied: a signed agreement that starts
# mid-month is billed for that month before the daily job activates it, and an ended one
# still owes its last months when they are billed late.
AGREEMENT_BILLABLE = (AllocationStatus.SIGNED, AllocationStatus.ACTIVE, AllocationStatus.ENDED)


def agreement_occupied_end(allocation: Allocation) -> date:
    """The day after the last day occupied (exclusive): the early termination, else the term."""
    return allocation.terminated_on or allocation.end


def agreements_billable(*, first_day: date, last_day: date) -> QuerySet[Allocation]:
    """Signed, active or ended agreements with a fee whose term touches the days between
    `first_day` and `last_day` (both included); an early termination is checked per month by
    `agreement_months` (with `agreement_occupied_end`)."""
    return (
        Allocation.objects.filter(
            status__in=AGREEMENT_BILLABLE,
            annual_fee_cents__gt=0,
            start__lte=last_day,
            end__gt=first_day,
        )
        .select_related("structure", "owner")
        .prefetch_related(
            Prefetch(
                "spaces",
                queryset=Space.objects.select_related("site__managing_organisation"),
            )
        )
    )


def agreement_collector(allocation: Allocation) -> Organisation:
    """Who collects an agreement's fee: like a booking's fee (`collecting_organisation`), the
    body that runs the building when one does (a SCIC re-letting offices), else the owner who
    granted the agreement. An agreement over buildings run by different bodies, or some by the
    owner itself, is collected by the owner, the party to the agreement."""
    managers = {space.site.managing_organisation for space in allocation.spaces.all()}
    if len(managers) == 1:
        manager = managers.pop()
        if manager is not None:
            return manager
    return allocation.owner


def agreement_month_price_of(allocation: Allocation, *, month_start: date) -> Price:
    """The fee of one month of `allocation` (`month_start`: the 1st) and its rule."""
    return agreement_month_price(
        annual_fee_cents=allocation.annual_fee_cents,
        month_start=month_start,
        month_end=(month_start + timedelta(days=32)).replace(day=1),
        agreement_start=allocation.start,
        agreement_end=agreement_occupied_end(allocation),
    )


def _latest_attempt_per_month() -> Exists:
    """True for a payment that a later attempt for the same agreement month replaced (a retry
    after a declined card, a new request after a release)."""
    return Exists(
        Payment.objects.filter(
            allocation=OuterRef("allocation"),
            period_start=OuterRef("period_start"),
            pk__gt=OuterRef("pk"),
        )
    )


def agreement_payments(allocation: Allocation) -> QuerySet[Payment]:
    """The monthly payments of an agreement, one per month (its latest attempt), oldest first:
    for the agreement page (`payments/_agreement_payments.html`)."""
    return (
        Payment.objects.filter(allocation=allocation, purpose=PaymentPurpose.AGREEMENT_FEE)
        .exclude(_latest_attempt_per_month())
        .order_by("period_start", "pk")
    )


def _agreement_payments_overdue(now: datetime | None) -> QuerySet[Payment]:
    """Months of agreements unpaid past their deadline: awaiting payment, or whose last card
    attempt was declined. Unlike a booking's pay link they are never released (the month
    stays owed): the manager follows them up."""
    return (
        Payment.objects.filter(
            purpose=PaymentPurpose.AGREEMENT_FEE,
            status__in=[PaymentStatus.REQUIRES_AUTHORISATION, PaymentStatus.FAILED],
            due_by__lt=now or timezone.now(),
        )
        .exclude(_latest_attempt_per_month())
        .select_related("allocation__structure")
        .order_by("due_by", "pk")
    )


def agreement_payments_overdue(
    owner: Organisation, *, now: datetime | None = None
) -> QuerySet[Payment]:
    """Overdue months of the agreements that `owner` collects."""
    return _agreement_payments_overdue(now).filter(owner=owner)


def agreement_payments_overdue_for(
    user: AnyUser, *, now: datetime | None = None
) -> QuerySet[Payment]:
    """Overdue months of the agreements whose fees the user's organisations collect (all of
    them for the intercommunality), in one query."""
    overdue = _agreement_payments_overdue(now)
    if user_is_territory_admin(user):
        return overdue
    return overdue.filter(owner__in=organisations_of(user).values("pk"))


# --- Invoices and credit notes ---


def invoices_visible_to(user: AnyUser) -> QuerySet[Invoice]:
    """Invoices and credit notes of the payments the user may see: the payer's members, the
    collector's, the intercommunality."""
    return Invoice.objects.filter(payment__in=payments_visible_to(user).values("pk"))


def payments_without_invoice() -> QuerySet[Payment]:
    """Collected card payments whose invoice is missing (its issuing failed)."""
    return (
        Payment.objects.filter(
            status__in=[PaymentStatus.CAPTURED, PaymentStatus.REFUNDED], captured_cents__gt=0
        )
        .exclude(invoices__kind=InvoiceKind.INVOICE)
        .order_by("pk")
    )


def refunds_without_credit_note() -> QuerySet[Refund]:
    """Succeeded refunds whose credit note is missing."""
    return Refund.objects.filter(status=RefundStatus.SUCCEEDED, credit_note__isnull=True).order_by(
        "pk"
    )


def tariff_grid(space: Space) -> dict[tuple[str, str], int]:
    """The tariffs of a space as {(category, unit): cents}."""
    return {
        (category, unit): cents
        for category, unit, cents in Tariff.objects.filter(space=space).values_list(
            "category", "unit", "amount_cents"
        )
    }
