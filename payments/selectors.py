"""Reads of payments: tariffs, channels, the price of a booking, permission-scoped payments."""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import AnyUser
from bookings.models import Booking
from bookings.selectors import bookings_visible_to, local_zone
from payments.models import FINAL, Payment, PaymentChannel, Tariff
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
    return Payment.objects.filter(booking__in=bookings_visible_to(user).values("pk"))


def payment_live_of(*, booking: Booking) -> Payment | None:
    """The booking's payment attempt that has not failed (at most one: a constraint)."""
    return booking.payments.exclude(status="failed").first()


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
