"""The payments blocks of the bookings and spaces pages, registered in `PaymentsConfig.ready`.

Bookings and spaces sit below payments and never import it: their pages name slots
(`{% panels "booking_detail.sections" booking %}`, see core.panels) that the panels below fill.
Each panel reads through the selectors at the top of this module (permission checks included)
and hands its template what to display; it returns None when payments has nothing to show.
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_of
from bookings.models import Allocation, Booking
from bookings.rules import Period
from bookings.selectors import bookings_of_requester
from core import panels
from core.panels import Panel
from payments import selectors
from payments.models import Payment, PaymentChannel
from payments.rules import OrganisationCategory, Price, TariffUnit, refund_cents
from payments.selectors.deposits import deposit_panel_of
from spaces.models import Space

# --- Reads for the panels (selectors) ---


@dataclass(frozen=True)
class BookingPayment:
    """How a booking's fee is paid, as its page shows it to one user."""

    price: Price | None
    channel: PaymentChannel | None
    payment: Payment | None  # the live card payment
    last_failed: Payment | None  # the last failed attempt, when none stands
    can_open: bool  # the requester may start (or resume) paying by card
    is_requester: bool


def booking_payment_of(*, booking: Booking, user: AnyUser | None) -> BookingPayment:
    """The card payment, the public accountant's invoice or the free use of `booking`, and
    what `user` may do about it (a member of the requesting organisation pays)."""
    price = selectors.booking_quote(booking=booking)
    channel = selectors.channel_of(booking.space)
    payment = selectors.payment_live_of(booking=booking)
    is_requester = user is not None and bookings_of_requester(user).filter(pk=booking.pk).exists()
    return BookingPayment(
        price=price,
        channel=channel,
        payment=payment,
        last_failed=None if payment else booking.payments.filter(status="failed").first(),
        can_open=(
            is_requester
            and booking.occupies
            and price is not None
            and not price.is_free
            and channel is not None
            and channel.stripe_ready
            and (payment is None or payment.status == "requires_authorisation")
        ),
        is_requester=is_requester,
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
    return Panel("payments/_booking_amount.html", {"price": price})


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
            "payment": state.payment,
            "last_failed": state.last_failed,
            "can_open": state.can_open,
            "is_requester": state.is_requester,
        },
    )


def booking_deposit_panel(request: HttpRequest | None, booking: Booking, /) -> Panel | None:
    """The deposit part of the booking page (its template shows nothing when the space asks
    for none)."""
    if request is None:
        return None
    return Panel(
        "payments/_deposit.html",
        {"booking": booking, "deposit_panel": deposit_panel_of(booking=booking, user=request.user)},
    )


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


def booking_cancel_refund_panel(
    request: HttpRequest | None, booking: Booking, /, *, as_manager: bool = False
) -> Panel | None:
    """What cancelling the whole booking now gives back, by the space's cancellation policy
    (payments.rules.refund_cents), on the cancellation's confirmation page. None when nothing
    was paid by card (nothing to refund)."""
    payment = selectors.payment_live_of(booking=booking)
    if payment is None or payment.status != "captured":
        return None
    hours = (booking.start - timezone.now()).total_seconds() / 3600
    amount, rule = refund_cents(
        amount_cents=payment.captured_cents,
        hours_before_start=hours,
        notice_hours=booking.space.cancellation_notice_hours,
        by_manager=as_manager,
    )
    return Panel(
        "payments/_cancel_refund.html",
        {"refund_cents": min(amount, payment.refundable_cents), "rule": rule},
    )


def panels_register() -> None:
    """Fill the slots of the bookings and spaces pages (called by `PaymentsConfig.ready`)."""
    panels.register("booking_form.quote", booking_quote_panel)
    panels.register("booking_detail.facts", booking_amount_panel)
    panels.register("booking_detail.sections", booking_payment_panel)
    panels.register("booking_detail.sections", booking_deposit_panel)
    panels.register("booking_cancel.refund", booking_cancel_refund_panel)
    panels.register("allocation_detail.sections", agreement_payments_panel)
    panels.register("space_detail.conditions", space_tariffs_panel)
