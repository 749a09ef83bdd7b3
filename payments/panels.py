"""The payments blocks of the bookings and spaces pages, registered in `PaymentsConfig.ready`.

Bookings and spaces sit below payments and never import it: their pages name slots
(`{% panels "booking_detail.sections" booking %}`, see core.panels) that the panels below fill.
Each panel reads through the selectors at the top of this module (permission checks included)
and hands its template what to display; it returns None when payments has nothing to show.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_manageable_by, organisations_of
from bookings.models import Allocation, Booking, Occupancy
from bookings.rules import Period
from bookings.selectors import bookings_of_requester
from core import panels
from core.formats import euros_text
from core.panels import Panel
from payments import selectors
from payments.models import ENDED, ChannelKind, Payment, PaymentChannel, PaymentPurpose, Tariff
from payments.rules import OrganisationCategory, Price, TariffUnit, refund_cents, shared_split
from payments.selectors.deposits import deposit_panel_of
from spaces import cards
from spaces.cards import CardFact
from spaces.models import Site, Space

# --- Reads for the panels (selectors) ---


@dataclass(frozen=True)
class BookingPayment:
    """How a booking's fee is paid, as its page shows it to one user."""

    price: Price | None
    channel: PaymentChannel | None
    route: selectors.FeeRoute  # who collects, and which way (fee_channel_for)
    payment: Payment | None  # the live card payment
    last_failed: Payment | None  # the last failed attempt, when none stands
    can_open: bool  # the requester may start (or resume) paying by card
    is_requester: bool
    supplement: Payment | None = None  # what a change added, still to pay (issue 16)


def booking_payment_of(*, booking: Booking, user: AnyUser | None) -> BookingPayment:
    """The card payment, the public accountant's invoice or the free use of `booking`, and
    what `user` may do about it (a member of the requesting organisation pays)."""
    price = selectors.booking_quote(booking=booking)
    route = selectors.fee_channel_for(booking.space)
    channel = route.channel
    payment = selectors.payment_live_of(booking=booking)
    is_requester = user is not None and bookings_of_requester(user).filter(pk=booking.pk).exists()
    return BookingPayment(
        price=price,
        channel=channel,
        route=route,
        payment=payment,
        last_failed=None if payment else booking.payments.filter(status="failed").first(),
        can_open=(
            is_requester
            and booking.occupies
            and price is not None
            and not price.is_free
            and route.kind == selectors.FeeRouteKind.CARD
            and (payment is None or payment.status == "requires_authorisation")
        ),
        is_requester=is_requester,
        supplement=selectors.supplement_unpaid_of(booking) if payment else None,
    )


def space_tariff_table(space: Space) -> tuple[list[TariffUnit], list[tuple[str, list]]]:
    """The public price list of a space: the units it uses, and a row per category
    (its label, then the cents per unit or None)."""
    grid = selectors.tariff_grid(space)
    units = [unit for unit in TariffUnit if any(key[1] == unit for key in grid)]
    rows = [
        (category.label, [grid.get((category.value, unit.value)) for unit in units])
        for category in OrganisationCategory
        if any(key[0] == category for key in grid)
    ]
    return units, rows


def agreement_payer_is(*, allocation: Allocation, user: AnyUser) -> bool:
    """Whether `user` belongs to the structure that pays the agreement's monthly fees."""
    return organisations_of(user).filter(pk=allocation.structure_id).exists()


@dataclass(frozen=True)
class BookingFee:
    """A row's price and how it stands, in a table of bookings."""

    price: Price
    payment: Payment | None  # the live card payment
    channel_kind: str | None


def booking_fees_of(bookings: Sequence[Booking]) -> dict[int, BookingFee]:
    """The price of each occupying booking of `bookings` that has one, with its live payment
    and channel, in four queries at most whatever the rows (the bookings come with their space,
    site and organisation): the tariffs, then only if some apply the dates, the channels and the
    payments. Bookings that no longer occupy their dates are left out."""
    occupying = [booking for booking in bookings if booking.occupies]
    if not occupying:
        return {}
    tariffs = selectors.tariffs_of_spaces({booking.space_id for booking in occupying})
    # Only a booking whose space has tariffs for its organisation's category can have a
    # price (price_quote is None without them): its dates are read, the others' are not.
    priced = [
        booking
        for booking in occupying
        if tariffs.get((booking.space_id, selectors.category_of(booking.organisation)))
    ]
    if not priced:
        return {}
    dates: dict[int, list] = defaultdict(list)
    for booking_id, start, end in (
        Occupancy.objects.filter(booking_id__in=[booking.pk for booking in priced], active=True)
        .order_by("start")
        .values_list("booking_id", "start", "end")
    ):
        dates[booking_id].append((start, end))
    prices = {}
    for booking in priced:
        price = selectors.price_quote(
            space=booking.space,
            organisation=booking.organisation,
            occurrences=dates.get(booking.pk) or [(booking.start, booking.end)],
            tariffs_by_space=tariffs,
        )
        if price is not None:
            prices[booking.pk] = price
    if not prices:
        return {}
    owners = {
        booking.pk: booking.space.site.managing_organisation_id or booking.space.site.owner_id
        for booking in occupying
    }
    kinds = dict(
        PaymentChannel.objects.filter(owner_id__in=set(owners.values())).values_list(
            "owner_id", "kind"
        )
    )
    live = {
        payment.booking_id: payment
        for payment in Payment.objects.filter(
            booking_id__in=list(prices), purpose=PaymentPurpose.BOOKING_FEE
        ).exclude(status__in=ENDED)
    }
    return {
        pk: BookingFee(price=price, payment=live.get(pk), channel_kind=kinds.get(owners[pk]))
        for pk, price in prices.items()
    }


# --- Panels ---


def _user(request: HttpRequest | None) -> AnyUser | None:
    return request.user if request is not None else None


def booking_quote_panel(
    request: HttpRequest | None,
    space: Space,
    /,
    *,
    organisation: Any = None,
    period: Any = None,
    occurrences: list[Period] | None = None,
) -> Panel | None:
    """The price on the request form: of all the dates of a previewed request
    (`occurrences`), else of the first date (`period`), or a hint until a date is chosen;
    nothing when the space has no tariff at all. `organisation` and `period` come from the
    form's cleaned data, absent (an empty string) until the form is valid."""
    if not selectors.space_is_priced(space):
        return None
    dates = occurrences or ([period] if isinstance(period, Period) else [])
    if not isinstance(organisation, Organisation) or not dates:
        return Panel("payments/_price_quote.html", {"pending": True})
    price = selectors.price_quote(
        space=space,
        organisation=organisation,
        occurrences=[(date.start, date.end) for date in dates],
    )
    return Panel("payments/_price_quote.html", {"price": price})


def booking_amount_panel(request: HttpRequest | None, booking: Booking, /) -> Panel | None:
    """The price of a booking's active dates, as a row of the booking page's facts."""
    price = selectors.booking_quote(booking=booking)
    if price is None:
        return None
    window = booking.sharing_window  # issue 17: the occupant's share of the fee
    split = shared_split(price.amount_cents, window.occupant_share_percent) if window else None
    return Panel(
        "payments/_booking_amount.html",
        {
            "price": price,
            "split": split,
            "occupant": window.allocation.structure if window else None,
        },
    )


def booking_payment_panel(request: HttpRequest | None, booking: Booking, /) -> Panel:
    """How the booking's fee is paid: the card payment and its button, the public
    accountant's invoice with the PayFiP link, or the legal basis of free use."""
    state = booking_payment_of(booking=booking, user=_user(request))
    return Panel(
        "payments/_booking_payment.html",
        {
            "booking": booking,
            "price": state.price,
            "channel": state.channel,
            "route": state.route,
            # Asked only when the link would show: the route is not the card.
            "channel_editable": state.route.kind != selectors.FeeRouteKind.CARD
            and state.price is not None
            and not state.price.is_free
            and _channel_editable(request, state.route),
            "payment": state.payment,
            "last_failed": state.last_failed,
            "can_open": state.can_open,
            "is_requester": state.is_requester,
            "supplement": state.supplement,
        },
    )


def _channel_editable(request: HttpRequest | None, route: selectors.FeeRoute) -> bool:
    """Whether the viewer may set up the collector's payment channel (a link is offered)."""
    if request is None:
        return False
    return organisations_manageable_by(request.user).filter(pk=route.collector.pk).exists()


def booking_deposit_panel(request: HttpRequest | None, booking: Booking, /) -> Panel | None:
    """The deposit part of the booking page (its template shows nothing when the space asks
    for none); when the collector cannot take cards, what to do instead."""
    if request is None:
        return None
    deposit_panel = deposit_panel_of(booking=booking, user=request.user)
    route = selectors.fee_channel_for(booking.space) if deposit_panel.amount_cents else None
    cannot_hold = route is not None and route.kind != selectors.FeeRouteKind.CARD
    return Panel(
        "payments/_deposit.html",
        {
            "booking": booking,
            "deposit_panel": deposit_panel,
            "route": route,
            "channel_editable": cannot_hold and _channel_editable(request, route),
        },
    )


def booking_fee_column(
    request: HttpRequest | None, bookings: Sequence[Booking], /
) -> dict[int, Panel]:
    """A table of bookings' price column: each row's price and payment state."""
    return {
        pk: Panel(
            "payments/_booking_fee_cell.html",
            {
                "price": fee.price,
                "payment": fee.payment,
                "by_invoice": fee.channel_kind == ChannelKind.PUBLIC_ACCOUNTING,
            },
        )
        for pk, fee in booking_fees_of(bookings).items()
    }


def agreement_payments_panel(request: HttpRequest | None, allocation: Allocation, /) -> Panel:
    """The monthly card payments of an agreement, for its page."""
    can_pay = request is not None and agreement_payer_is(allocation=allocation, user=request.user)
    return Panel(
        "payments/_agreement_payments.html",
        {"payments": selectors.agreement_payments(allocation), "can_pay": can_pay},
    )


def space_tariffs_panel(request: HttpRequest | None, space: Space, /) -> Panel:
    """The public price list of a space: a row per category, a column per unit it uses."""
    units, rows = space_tariff_table(space)
    return Panel("payments/_space_tariffs.html", {"space": space, "units": units, "rows": rows})


def _price_from_annotate(spaces: QuerySet[Space]) -> QuerySet[Space]:
    """The lowest fee of each space and its unit, and whether it has a tariff at all: three
    subqueries of the catalogue's one query (no query per card)."""
    paid = Tariff.objects.filter(space=OuterRef("pk"), amount_cents__gt=0).order_by(
        "amount_cents", "unit"
    )
    return spaces.annotate(
        price_from_cents=Subquery(paid.values("amount_cents")[:1]),
        price_from_unit=Subquery(paid.values("unit")[:1]),
        has_tariff=Exists(Tariff.objects.filter(space=OuterRef("pk"))),
    )


def _price_from_text(space: Space) -> str | None:
    """ "à partir de 12 € par heure" (the lowest fee of any category), "Gratuit" (tariffs all
    at 0, or none on a space booked by the hour: no fee is asked), nothing for a space let
    only long-term without tariffs (its fee is set on each agreement)."""
    cents = getattr(space, "price_from_cents", None)
    if cents:
        return _("from %(amount)s %(unit)s") % {
            "amount": euros_text(cents),
            "unit": TariffUnit(space.price_from_unit).label,
        }
    if getattr(space, "has_tariff", False) or space.bookable:
        return _("Free")
    return None


PRICE_FROM = CardFact(
    key="payments.price_from",
    term=lambda: _("Price"),
    annotate=_price_from_annotate,
    describe=_price_from_text,
)


def site_fees_panel(request: HttpRequest | None, site: Site, /) -> Panel:
    """On a site's management page: who collects the fees of its spaces and which way, with
    the link to set up that organisation's payment channel for those who may."""
    collector = site.managing_organisation or site.owner
    route = selectors.fee_route_of_collector(collector)
    return Panel(
        "payments/_site_fees.html",
        {"route": route, "channel_editable": _channel_editable(request, route)},
    )


def booking_cancel_refund_panel(
    request: HttpRequest | None, booking: Booking, /, *, as_manager: bool = False
) -> Panel | None:
    """What cancelling the whole booking now gives back, by the space's cancellation policy
    (payments.rules.refund_cents), on the cancellation's confirmation page. None when nothing
    was paid by card (nothing to refund)."""
    charges = selectors.booking_charges_captured(booking)  # the fee and paid supplements
    if not charges:
        return None
    hours = (booking.start - timezone.now()).total_seconds() / 3600
    amount, rule = refund_cents(
        amount_cents=sum(payment.captured_cents for payment in charges),
        hours_before_start=hours,
        notice_hours=booking.space.cancellation_notice_hours,
        by_manager=as_manager,
    )
    refundable = sum(payment.refundable_cents for payment in charges)
    return Panel(
        "payments/_cancel_refund.html", {"refund_cents": min(amount, refundable), "rule": rule}
    )


def panels_register() -> None:
    """Fill the slots of the bookings and spaces pages (called by `PaymentsConfig.ready`)."""
    cards.register(PRICE_FROM)
    panels.register("booking_form.quote", booking_quote_panel)
    panels.register("booking_detail.facts", booking_amount_panel)
    panels.register("booking_detail.sections", booking_payment_panel)
    panels.register("booking_detail.sections", booking_deposit_panel)
    panels.register("booking_cancel.refund", booking_cancel_refund_panel)
    panels.register("allocation_detail.sections", agreement_payments_panel)
    panels.register("space_detail.conditions", space_tariffs_panel)
    panels.register_column("booking_list.fee", booking_fee_column)
    panels.register("site_manage.sections", site_fees_panel)
