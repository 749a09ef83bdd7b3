"""The price of a booking and the rule that produced it, for the bookings templates.

Bookings sits below payments and never imports it; its templates load this library instead.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.selectors import organisations_of
from bookings.models import Allocation, Booking
from bookings.rules import Period
from bookings.selectors import bookings_of_requester
from payments import selectors
from payments.rules import OrganisationCategory, Price, TariffUnit, format_eur
from payments.selectors import deposit_panel_of
from spaces.models import Space

register = template.Library()


def _price_text(price: Price) -> SafeString:
    if price.is_free:
        return format_html("<strong>{}</strong> — {}", _("Free"), price.rule)
    return format_html("<strong>{}</strong> — {}", format_eur(price.amount_cents), price.rule)


@register.filter
def eur(cents: int) -> str:
    """12,50 € from 1250 (the active language's number format)."""
    return format_eur(int(cents))


@register.simple_tag
def booking_price(
    *,
    space: Space,
    organisation: Organisation | None = None,
    period: Period | None = None,
    occurrences: list[Period] | None = None,
) -> str:
    """The price on the request form: of all the dates of a previewed request
    (`occurrences`), else of the first date, or a hint until a date is chosen; nothing when
    the space has no tariff at all."""
    if not selectors.space_is_priced(space):
        return ""
    dates = occurrences or ([period] if isinstance(period, Period) else [])
    if not isinstance(organisation, Organisation) or not dates:
        return format_html(
            '<p class="price-quote">{}</p>', _("The price is computed when you choose a date.")
        )
    price = selectors.price_quote(
        space=space,
        organisation=organisation,
        occurrences=[(date.start, date.end) for date in dates],
    )
    if price is None:
        return format_html(
            '<p class="price-quote">{}</p>',
            _("No tariff applies to this organisation: no fee is asked."),
        )
    return format_html('<p class="price-quote">{} {}</p>', _("Price:"), _price_text(price))


@register.simple_tag
def booking_amount(booking: Booking) -> str:
    """The price of a booking's active dates as a row of the booking page's facts."""
    price = selectors.booking_quote(booking=booking)
    if price is None:
        return ""
    return format_html("<div><dt>{}</dt><dd>{}</dd></div>", _("Price"), _price_text(price))


@register.simple_tag(takes_context=True)
def accounting_owners(context: template.Context) -> list[Organisation]:
    """The owners whose public-accounting billing lines the current user may export."""
    request = context.get("request")
    if request is None:
        return []
    return list(selectors.accounting_owners_for(request.user).order_by("name"))


@register.inclusion_tag("payments/_booking_payment.html", takes_context=True)
def booking_payment(context: template.Context, booking: Booking) -> dict:
    """How the booking's fee is paid: the card payment and its button, the public
    accountant's invoice with the PayFiP link, or the legal basis of free use."""
    request = context.get("request")
    user = request.user if request is not None else None
    price = selectors.booking_quote(booking=booking)
    channel = selectors.channel_of(booking.space)
    payment = selectors.payment_live_of(booking=booking)
    is_requester = user is not None and bookings_of_requester(user).filter(pk=booking.pk).exists()
    return {
        "booking": booking,
        "price": price,
        "channel": channel,
        "payment": payment,
        "last_failed": None if payment else booking.payments.filter(status="failed").first(),
        "can_open": (
            is_requester
            and booking.occupies
            and price is not None
            and not price.is_free
            and channel is not None
            and channel.stripe_ready
            and (payment is None or payment.status == "requires_authorisation")
        ),
        "is_requester": is_requester,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("payments/_space_tariffs.html")
def space_tariffs(space: Space) -> dict:
    """The public price list of a space: a row per category, a column per unit it uses."""
    grid = selectors.tariff_grid(space)
    units = [unit for unit in TariffUnit if any(key[1] == unit for key in grid)]
    rows = [
        (category.label, [grid.get((category.value, unit.value)) for unit in units])
        for category in OrganisationCategory
        if any(key[0] == category for key in grid)
    ]
    return {"space": space, "units": units, "rows": rows}


@register.inclusion_tag("payments/_deposit.html", takes_context=True)
def booking_deposit(context: template.Context, booking: Booking) -> dict:
    """The deposit part of the booking page (nothing when the space asks for none)."""
    request = context.get("request")
    if request is None:
        return {}
    return {
        "booking": booking,
        "deposit_panel": deposit_panel_of(booking=booking, user=request.user),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("payments/_agreement_payments.html", takes_context=True)
def agreement_payments(context: template.Context, allocation: Allocation) -> dict:
    """The monthly card payments of an agreement, for its page."""
    request = context.get("request")
    can_pay = request is not None and (
        organisations_of(request.user).filter(pk=allocation.structure_id).exists()
    )
    return {"payments": selectors.agreement_payments(allocation), "can_pay": can_pay}
