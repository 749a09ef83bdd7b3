"""Public-accounting export: the billing lines (titres de recettes) an owner issues for a
period, for the finance department."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Booking, BookingStatus, Occupancy
from bookings.selectors import (
    local_zone,
)
from payments.models import BillingSupplement, BillingSupplementStatus
from payments.rules import (
    agreement_months,
    shared_split,
)
from payments.selectors.agreements import (
    agreement_collector,
    agreement_month_price_of,
    agreement_occupied_end,
    agreements_billable,
)
from payments.selectors.prices import (
    RoomDate,
    collecting_organisation,
    invoicing_channels_q,
    rooms_quote,
    tariffs_of_spaces,
)
from spaces.models import Space


def accounting_owners_for(user: AnyUser) -> QuerySet[Organisation]:
    """Owners who bill their fees (the public accountant, or the invoicing fallback of a card
    channel that cannot take cards: `fee_route_of`) whose billing lines the user may export:
    their own organisation, or all of them for the intercommunality."""
    owners = Organisation.objects.filter(invoicing_channels_q("payment_channel__"))
    if user_is_territory_admin(user):
        return owners
    return owners.filter(pk__in=organisations_of(user).values("pk"))


@dataclass(frozen=True)
class BillingLine:
    """One titre de recettes to issue: a confirmed booking's fee for its dates in a period
    (reference RES-<id>), what a change added to it (RES-<id>-C<n>, issue 16), or one month of
    an agreement's fee (CONV-<id>)."""

    debtor: Organisation
    reference: str
    label: str  # the premises, as the finance department names them on the titre
    amount_cents: int
    rule: str
    first_day: date
    last_day: date
    # Issue 17: a booking made in a time the occupant of an agreement shares; the titre is
    # issued by the owner as usual, and `occupant_cents` of it is owed to `occupant` under
    # the window's terms (`shared_split`); None and 0 otherwise.
    occupant: Organisation | None = None
    occupant_percent: int = 0
    occupant_cents: int = 0


def _shared(booking: Booking, amount_cents: int) -> dict:
    """The occupant's part of a line of `booking` (issue 17), as BillingLine fields."""
    window = booking.sharing_window
    if window is None:
        return {}
    split = shared_split(amount_cents, window.occupant_share_percent)
    return {
        "occupant": window.allocation.structure,
        "occupant_percent": split.occupant_percent,
        "occupant_cents": split.occupant_cents,
    }


def _booking_billing_lines(
    *, owner: Organisation, first_day: date, last_day: date
) -> list[BillingLine]:
    """Confirmed bookings with a fee on the spaces `owner` collects for
    (`collecting_organisation`), priced on their active dates starting between `first_day` and
    `last_day`."""
    zone = local_zone()
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    # The buildings `owner` owns or runs; who of the two collects is decided below, per space.
    involved = Q(booking__space__site__managing_organisation=owner) | Q(
        booking__space__site__owner=owner
    )
    rows = (
        Occupancy.objects.filter(
            involved,
            active=True,
            booking__status=BookingStatus.CONFIRMED,
            start__gte=start,
            start__lt=end,
        )
        .order_by("start", "pk")
        .values_list("booking_id", "space_id", "start", "end")
    )
    # Each date in the room it is held in (issue 16: a series moved from a date keeps its
    # earlier dates in the old room), priced at that room's tariff (`rooms_quote`).
    dates: dict[int, list[RoomDate]] = defaultdict(list)
    for booking_id, space_id, occurrence_start, occurrence_end in rows:
        dates[booking_id].append((space_id, occurrence_start, occurrence_end))
    bookings = Booking.objects.select_related(
        "organisation",
        "space__site__managing_organisation",
        "space__site__owner",
        "sharing_window__allocation__structure",
    ).in_bulk(dates)
    rooms = {booking.space_id: booking.space for booking in bookings.values()}
    other_rooms = {date[0] for held in dates.values() for date in held} - rooms.keys()
    if other_rooms:  # only when a booking moved from a date: one query
        rooms |= Space.objects.in_bulk(other_rooms)
    tariffs = tariffs_of_spaces(rooms)
    # What changes added (issue 16) is billed on its own lines, in the period of the booking's
    # first date; the booking's line there keeps the amount first billed (the difference).
    supplements: dict[int, list[BillingSupplement]] = defaultdict(list)
    for supplement in BillingSupplement.objects.filter(
        booking_id__in=[pk for pk, booking in bookings.items() if start <= booking.start < end],
        owner=owner,
        status=BillingSupplementStatus.DUE,
    ).order_by("created_at", "pk"):
        supplements[supplement.booking_id].append(supplement)
    lines = []
    for booking_id, occurrences in dates.items():
        booking = bookings[booking_id]
        if collecting_organisation(booking.space).pk != owner.pk:
            continue
        price = rooms_quote(
            organisation=booking.organisation,
            dates=occurrences,
            spaces=rooms,
            tariffs_by_space=tariffs,
        )
        if price is None or price.is_free:
            continue
        added = supplements.get(booking_id, [])
        first = occurrences[0][1].astimezone(zone).date()
        last = occurrences[-1][1].astimezone(zone).date()
        label = f"{booking.space.name} — {booking.space.site.name}"
        amount = max(price.amount_cents - sum(s.amount_cents for s in added), 0)
        lines.append(
            BillingLine(
                debtor=booking.organisation,
                reference=f"RES-{booking.pk}",
                label=label,
                amount_cents=amount,
                rule=price.rule,
                first_day=first,
                last_day=last,
                **_shared(booking, amount),
            )
        )
        lines += [
            BillingLine(
                debtor=booking.organisation,
                reference=f"RES-{booking.pk}-C{supplement.pk}",
                label=label,
                amount_cents=supplement.amount_cents,
                rule=supplement.reason,
                first_day=first,
                last_day=last,
                **_shared(booking, supplement.amount_cents),
            )
            for supplement in added
        ]
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
