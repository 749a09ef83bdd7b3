"""Telling the payer each step of a payment (accounts.messaging), in the transaction that
causes it: the message leaves after commit, and only if it commits.

Who pays: the member who made the booking, else (a month of an agreement) the structure's
members. Who answers: the managers of the building, else the collecting organisation's contact
address, else its staff. Each message links to the payment's page (receipt, invoice, paying).

Messages: `payment_pay_link` (a payment is due, with its deadline), `payment_captured` (the
receipt), `payment_refunded` (the amount and when it reaches the card), `payment_expired` (not
paid in time: the slot released), `payment_supplement` (a change raised the price: what is
left to pay, with the link to pay it), `payment_deposit_held` / `_released` / `_kept` (the reason),
and `payment_public_accountant` (a booking's fee is collected by the public accountant: a
payment notice will come, and how to pay it).

`allocation_payment_terms` tells the agreements' messages (bookings, below payments) how an
agreement's fee is paid; registered in `PaymentsConfig.ready`.
"""

from typing import Any

from accounts.messaging import notify_users
from accounts.models import User
from bookings.models import Allocation, Booking
from payments import selectors
from payments.models import Payment, PaymentChannel


def _active(users) -> list[User]:
    return list(users.filter(is_active=True, erased_at__isnull=True).distinct().order_by("email"))


def payers(payment: Payment) -> list[User]:
    """Who pays: the member who made the booking, else the structure's members."""
    if payment.booking_id:
        return [payment.booking.requested_by]
    return _active(User.objects.filter(memberships__organisation=payment.allocation.structure_id))


def _managers_reply_to(*, sites: Any, collector) -> list[str]:
    """The building's managers, else the collector's contact address, else its staff."""
    managers = _active(User.objects.filter(managed_sites__in=sites))
    if managers:
        return [user.email for user in managers]
    if collector.email:
        return [collector.email]
    return [
        user.email for user in _active(User.objects.filter(memberships__organisation=collector))
    ]


def _reply_to(payment: Payment) -> list[str]:
    if payment.booking_id:
        sites = [payment.booking.space.site_id]
    else:
        sites = payment.allocation.spaces.values("site_id")
    return _managers_reply_to(sites=sites, collector=payment.owner)


def notify(payment: Payment, event: str, **extra: Any) -> int:
    """Tell the payer of `payment` that `event` happened (`payment_<event>` templates); `extra`
    goes to the templates (`reason`, `refund_cents`). Call it in the transaction of the change
    it reports. Returns how many e-mails were queued."""
    payment = Payment.objects.select_related(
        "booking__space__site", "booking__requested_by", "allocation__structure", "owner"
    ).get(pk=payment.pk)
    return notify_users(
        payers(payment),
        message=f"payment_{event}",
        context={"payment": payment, "collector": payment.owner, **extra},
        about=f"payment {payment.pk}, {event}",
        link=payment.get_absolute_url(),
        reply_to=_reply_to(payment),
    )


def public_accountant_notify(
    *, booking: Booking, channel: PaymentChannel, amount_cents: int
) -> int:
    """Tell the member who booked that the fee of `booking` (just confirmed) is collected by
    the public accountant: a payment notice will come, and how to pay it. Call it in a
    transaction."""
    booking = Booking.objects.select_related("space__site", "requested_by").get(pk=booking.pk)
    return notify_users(
        [booking.requested_by],
        message="payment_public_accountant",
        context={
            "booking": booking,
            "amount_cents": amount_cents,
            "collector": channel.owner,
            "department": channel.finance_department or channel.owner.name,
            "payfip_url": channel.payfip_url,
        },
        about=f"booking {booking.pk}, fee through the public accountant",
        link=booking.get_absolute_url(),
        reply_to=_managers_reply_to(sites=[booking.space.site_id], collector=channel.owner),
    )


def allocation_payment_terms(allocation: Allocation) -> dict[str, Any] | None:
    """How the fee of `allocation` is paid, for the agreement's messages to the structure: by
    card (a pay link each month) or through the public accountant (payment notices, PayFiP);
    None when nothing is to be said (free, or no channel set up yet)."""
    # payments.services imports this module: its deadline is read when called.
    from payments.services.agreements import AGREEMENT_PAYMENT_DUE

    if not allocation.annual_fee_cents:
        return None
    channel = PaymentChannel.objects.filter(owner=selectors.agreement_collector(allocation)).first()
    if channel is None:
        return None
    route = selectors.fee_route_of(channel)
    if route == selectors.FeeRouteKind.CARD:  # the monthly pay links are sent only then
        return {"kind": "card", "due_days": AGREEMENT_PAYMENT_DUE.days}
    if route == selectors.FeeRouteKind.INVOICE:
        return {
            "kind": "public_accounting",
            "department": channel.finance_department or channel.owner.name,
            "payfip_url": channel.payfip_url,
        }
    return None
