"""Reads of prices: tariffs, who collects the fees of a space and through which channel, the
price of a booking."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organisation
from bookings.models import Booking
from bookings.selectors import (
    local_zone,
)
from payments.models import (
    ChannelKind,
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


class FeeRouteKind:
    CARD = "card"  # taken online by card (Stripe keys entered, channel active)
    INVOICE = "invoice"  # billed: public accountant's titre, or the fallback of a card channel
    FREE = "free"  # free use, with its legal basis
    NONE = "none"  # nothing set up: the platform collects nothing, the collector must


@dataclass(frozen=True)
class FeeRoute:
    """How the fees of a space are collected, and by whom (`fee_channel_for`)."""

    collector: Organisation
    channel: PaymentChannel | None  # the collector's channel, usable or not
    kind: str  # a FeeRouteKind

    @property
    def card_unusable(self) -> bool:
        """The collector chose card payments but they cannot be taken (keys missing or the
        channel deactivated)."""
        return (
            self.channel is not None
            and self.channel.kind == ChannelKind.STRIPE
            and self.kind != FeeRouteKind.CARD
        )

    @property
    def is_fallback(self) -> bool:
        """Billed because the card channel cannot take cards."""
        return self.card_unusable and self.kind == FeeRouteKind.INVOICE


def fee_route_of(channel: PaymentChannel | None) -> str:
    """The one rule: which way a channel collects fees (a FeeRouteKind).

    A card channel that cannot take cards (keys missing, or deactivated) falls back to
    invoicing when it names who issues the invoices (`finance_department`); without that
    fallback it collects nothing, nor does any other deactivated channel."""
    if channel is None:
        return FeeRouteKind.NONE
    if channel.kind == ChannelKind.STRIPE:
        if channel.stripe_ready:  # keys entered and active
            return FeeRouteKind.CARD
        return FeeRouteKind.INVOICE if channel.finance_department.strip() else FeeRouteKind.NONE
    if not channel.is_active:
        return FeeRouteKind.NONE
    if channel.kind == ChannelKind.PUBLIC_ACCOUNTING:
        return FeeRouteKind.INVOICE
    return FeeRouteKind.FREE


def invoicing_channels_q(prefix: str = "") -> Q:
    """`fee_route_of(channel) == INVOICE`, as a condition on channels (for the billing export:
    `prefix` "payment_channel__" filters organisations)."""

    def field(name: str) -> str:
        return f"{prefix}{name}"

    card_unusable = (
        Q(**{field("is_active"): False})
        | Q(**{field("stripe_publishable_key"): ""})
        | Q(**{field("stripe_secret_key"): ""})
        | Q(**{field("stripe_webhook_secret"): ""})
    )
    return Q(**{field("kind"): ChannelKind.PUBLIC_ACCOUNTING, field("is_active"): True}) | (
        Q(**{field("kind"): ChannelKind.STRIPE})
        & card_unusable
        & ~Q(**{field("finance_department"): ""})
    )


def fee_channel_for(space: Space) -> FeeRoute:
    """Who collects the fees of `space` (`collecting_organisation`) and which way
    (`fee_route_of`): every page, the approval and the billing export ask this one rule."""
    return fee_route_of_collector(collecting_organisation(space))


def fee_route_of_collector(collector: Organisation) -> FeeRoute:
    """Which way `collector` takes the fees of the buildings it runs (`fee_route_of`)."""
    channel = PaymentChannel.objects.filter(owner=collector).first()
    return FeeRoute(collector=collector, channel=channel, kind=fee_route_of(channel))


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


RoomDate = tuple[int, datetime, datetime]  # (space id, start, end) of one date held


def rooms_quote(
    *,
    organisation: Organisation,
    dates: list[RoomDate],
    spaces: dict[int, Space],
    tariffs_by_space: dict[tuple[int, str], dict[str, int]],
) -> Price | None:
    """The price of dates held in one or several rooms (issue 16: a series moved from a date
    keeps its earlier dates in the old room): each date at the tariff of the room it is held
    in, one `price_quote` per room, summed; the rule names each room when there are several.
    None when no room asks a fee. `spaces` holds the rooms by id, `tariffs_by_space` their
    tariffs (`tariffs_of_spaces`): no query here, whatever the number of dates."""
    by_room: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for space_id, start, end in sorted(dates, key=lambda date: (date[1], date[0])):
        by_room[space_id].append((start, end))
    prices = [
        (
            spaces[space_id],
            price_quote(
                space=spaces[space_id],
                organisation=organisation,
                occurrences=occurrences,
                tariffs_by_space=tariffs_by_space,
            ),
        )
        for space_id, occurrences in by_room.items()
    ]
    if len(prices) == 1:
        return prices[0][1]
    if all(price is None for _space, price in prices):
        return None
    return Price(
        sum(price.amount_cents for _space, price in prices if price is not None),
        " ".join(
            _("%(room)s: %(rule)s")
            % {
                "room": space.name,
                "rule": price.rule if price is not None else _("no fee asked."),
            }
            for space, price in prices
        ),
    )


def booking_quote(*, booking: Booking) -> Price | None:
    """The price of a booking's dates that are still active, each at the tariff of the room
    it is held in (`rooms_quote`). Two queries in one room (its dates, its tariffs), three in
    several (their rooms too), whatever the number of dates."""
    dates = list(
        booking.occupancies.filter(active=True)
        .order_by("start")
        .values_list("space_id", "start", "end")
    )
    if not dates:
        dates = [(booking.space_id, booking.start, booking.end)]
    rooms = {space_id for space_id, _start, _end in dates}
    if rooms == {booking.space_id}:
        return price_quote(
            space=booking.space,
            organisation=booking.organisation,
            occurrences=[(start, end) for _space, start, end in dates],
        )
    return rooms_quote(
        organisation=booking.organisation,
        dates=dates,
        spaces=Space.objects.in_bulk(rooms),
        tariffs_by_space=tariffs_of_spaces(rooms),
    )


def tariff_grid(space: Space) -> dict[tuple[str, str], int]:
    """The tariffs of a space as {(category, unit): cents}."""
    return {
        (category, unit): cents
        for category, unit, cents in Tariff.objects.filter(space=space).values_list(
            "category", "unit", "amount_cents"
        )
    }
