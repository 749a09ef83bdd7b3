"""Reads about deposits (cautions held on the requester's card): when one may be placed, which
holds are due for release, and what the booking page shows. The writes are in
`payments.services.deposits`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.selectors import AnyUser
from bookings.models import OCCUPYING, Booking, BookingStatus, Occupancy
from bookings.selectors import bookings_of_requester
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.rules import format_eur
from payments.selectors.payments import payment_live_of

# Stripe keeps a card authorisation for 7 days at most. Placed at most 3 days before the
# start, the hold still stands DEPOSIT_RELEASE_HOURS after a booking of up to two days ends,
# so damage found afterwards can still be taken from it. Longer bookings outlast the hold:
# their deposit is best taken by cheque (see docs/decisions.md).
DEPOSIT_HOLD_DAYS_BEFORE = 3
# After the last date ends, the manager has this long to report damage before the hold goes.
DEPOSIT_RELEASE_HOURS = 48

# A deposit still standing: awaiting the card, or held on it.
OPEN = (PaymentStatus.REQUIRES_AUTHORISATION, PaymentStatus.AUTHORISED)


def deposit_live_of(*, booking: Booking) -> Payment | None:
    """The booking's deposit that still stands (awaiting the card, held, or kept)."""
    return payment_live_of(booking=booking, purpose=PaymentPurpose.DEPOSIT)


def deposit_opens_at(*, booking: Booking) -> datetime:
    """The earliest moment the deposit may be held: a card hold lasts 7 days at Stripe."""
    return booking.start - timedelta(days=DEPOSIT_HOLD_DAYS_BEFORE)


def booking_use_ends_at(*, booking: Booking) -> datetime:
    """When the booking's last date still active ends (a series' last occurrence), else its
    first date's end."""
    last = booking.occupancies.filter(active=True).aggregate(last=Max("end"))["last"]
    return last or booking.end


def deposits_to_release(*, now: datetime | None = None) -> QuerySet[Payment]:
    """Open deposits nobody needs any more: their booking ended more than
    DEPOSIT_RELEASE_HOURS ago without damage being reported (the manager would have kept the
    deposit), or it was cancelled, refused or lapsed."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=DEPOSIT_RELEASE_HOURS)
    # A confirmed booking is still in use, or within the damage window, while one of its
    # active dates ends after the cutoff.
    in_use = Occupancy.objects.filter(active=True, end__gt=cutoff).values("booking_id")
    return (
        Payment.objects.filter(purpose=PaymentPurpose.DEPOSIT, status__in=OPEN)
        .filter(
            ~Q(booking__status__in=OCCUPYING)
            | Q(booking__status=BookingStatus.CONFIRMED) & ~Q(booking__in=in_use)
        )
        .select_related("booking", "owner")
        .order_by("pk")
    )


@dataclass(frozen=True)
class DepositPanel:
    """What the booking page shows about the deposit (templates/payments/_deposit.html).

    `amount_cents`: the space's deposit (0: none asked, the panel shows nothing).
    `payment`: the deposit that stands, if any (its page holds the card form).
    `opens_at`, `opens_later`: from when the deposit may be placed, and whether that is still
    to come. `can_place`: the user may place it now (requester's organisation, confirmed
    booking not over, window open, nothing placed yet).
    """

    amount_cents: int
    payment: Payment | None
    opens_at: datetime
    opens_later: bool
    can_place: bool
    is_requester: bool

    @property
    def amount(self) -> str:
        return format_eur(self.amount_cents)

    @property
    def kept(self) -> str:
        return format_eur(self.payment.captured_cents if self.payment else 0)


def deposit_panel_of(
    *, booking: Booking, user: AnyUser, now: datetime | None = None
) -> DepositPanel:
    """The deposit part of the booking page for `user`."""
    now = now or timezone.now()
    payment = deposit_live_of(booking=booking)
    opens_at = deposit_opens_at(booking=booking)
    is_requester = (
        user.is_authenticated and bookings_of_requester(user).filter(pk=booking.pk).exists()
    )
    can_place = (
        is_requester
        and booking.space.deposit_cents > 0
        and booking.status == BookingStatus.CONFIRMED
        and payment is None
        and opens_at <= now < booking_use_ends_at(booking=booking)
    )
    return DepositPanel(
        amount_cents=booking.space.deposit_cents,
        payment=payment,
        opens_at=opens_at,
        opens_later=now < opens_at,
        can_place=can_place,
        is_requester=is_requester,
    )
