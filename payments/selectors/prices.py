"""Reads of prices: tariffs, who collects the fees of a space and through which channel, the
price of a booking."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from accounts.models import Organisation
from bookings.models import Booking
from bookings.selectors import (
    local_zone,
)
from payments.models import (
    PaymentChannel,
    Tariff,
)
from payments.rules import (
    OrganisationCategory,
    Price,
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


def tariff_grid(space: Space) -> dict[tuple[str, str], int]:
    """The tariffs of a space as {(category, unit): cents}."""
    return {
        (category, unit): cents
        for category, unit, cents in Tariff.objects.filter(space=space).values_list(
            "category", "unit", "amount_cents"
        )
    }
