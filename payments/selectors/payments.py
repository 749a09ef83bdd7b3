"""Reads of payments: permission-scoped payments, the live payment of a booking, those to
reconcile with Stripe."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Booking
from bookings.selectors import (
    allocations_manageable_by,
    allocations_visible_to,
    bookings_manageable_by,
    bookings_visible_to,
)
from payments.models import (
    BOOKING_CHARGES,
    ENDED,
    FINAL,
    UNPAID,
    Payment,
    PaymentPurpose,
    PaymentStatus,
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


def booking_charges_of(booking: Booking) -> QuerySet[Payment]:
    """What stands for the booking's fee: its first payment and the supplements asked when a
    change raised its price (issue 16), not failed nor released, oldest first. The one place
    that says what is paid for a booking: refunds, the cancellation's, the pages and the aid
    valuation read it."""
    return (
        Payment.objects.filter(booking=booking, purpose__in=BOOKING_CHARGES)
        .exclude(status__in=ENDED)
        .order_by("pk")
    )


def booking_charges_captured(booking: Booking) -> list[Payment]:
    """The booking's charges actually collected (fee and paid supplements), newest first: the
    order refunds take them in (the last supplement first, the fee last)."""
    return list(booking_charges_of(booking).filter(status=PaymentStatus.CAPTURED).order_by("-pk"))


def supplement_unpaid_of(booking: Booking) -> Payment | None:
    """The supplement the requester is asked to pay, if any (at most one: a constraint)."""
    return Payment.objects.filter(
        booking=booking, purpose=PaymentPurpose.SUPPLEMENT, status__in=UNPAID
    ).first()


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
