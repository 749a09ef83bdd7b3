"""Reads of payments: tariffs, channels, the price of a booking, permission-scoped payments."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Booking, BookingStatus, Occupancy
from bookings.selectors import allocations_visible_to, bookings_visible_to, local_zone
from payments.models import (
    ENDED,
    FINAL,
    ChannelKind,
    Payment,
    PaymentChannel,
    PaymentPurpose,
    Tariff,
)
from payments.rules import OrganisationCategory, Price, booking_price, organisation_category
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


def price_quote(
    *, space: Space, organisation: Organisation, occurrences: list[tuple[datetime, datetime]]
) -> Price | None:
    """The price the requester will pay, with its rule; None when the space has no tariff for
    the organisation's category (no fee is asked)."""
    category = category_of(organisation)
    return booking_price(
        occurrences=occurrences,
        tariffs=tariffs_for(space=space, category=category),
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
    """Payments the user may refund or settle: those collected by one of their organisations,
    or every one for the intercommunality."""
    if user_is_territory_admin(user):
        return Payment.objects.all()
    return Payment.objects.filter(owner__in=organisations_of(user).values("pk"))


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
    """One titre de recettes to issue: a confirmed booking's fee for its dates in a period."""

    booking: Booking
    amount_cents: int
    rule: str
    first_day: date
    last_day: date

    @property
    def reference(self) -> str:
        return f"RES-{self.booking.pk}"


def billing_lines(*, owner: Organisation, first_day: date, last_day: date) -> list[BillingLine]:
    """Confirmed bookings with a fee on the spaces `owner` collects for, priced on their active
    dates starting between `first_day` and `last_day` (local days, both included)."""
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
    lines = []
    for booking_id, occurrences in dates.items():
        booking = bookings[booking_id]
        price = price_quote(
            space=booking.space, organisation=booking.organisation, occurrences=occurrences
        )
        if price is None or price.is_free:
            continue
        lines.append(
            BillingLine(
                booking=booking,
                amount_cents=price.amount_cents,
                rule=price.rule,
                first_day=occurrences[0][0].astimezone(zone).date(),
                last_day=occurrences[-1][0].astimezone(zone).date(),
            )
        )
    return lines
