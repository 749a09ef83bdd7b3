"""Card payments: the fee of a booking held on request and captured on approval, and pay links
when the hold could not last until the decision (refunds: payments/services/refunds.py).

Stripe is called outside transactions (slow I/O must not hold row locks); the Payment (or
Refund) row is saved before the first call so its id gives the idempotency key.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, is_platform
from accounts.models import Organisation, User
from bookings.models import OCCUPYING, Booking, BookingStatus
from bookings.selectors import bookings_of_requester
from bookings.services import booking_cancel
from payments import notifications, selectors, stripe_gateway
from payments.exceptions import PaymentFailed, PaymentServiceUnavailable
from payments.models import (
    ENDED,
    ChannelKind,
    Payment,
    PaymentChannel,
    PaymentPurpose,
    PaymentStatus,
)
from payments.services.refunds import refund_issue
from payments.services.status import payment_sync, payment_transition


def stripe_channel_of(owner: Organisation) -> PaymentChannel:
    """The owner's Stripe channel, ready to take cards. Raises ValidationError otherwise."""
    channel = PaymentChannel.objects.filter(owner=owner).first()
    if channel is None or channel.kind != ChannelKind.STRIPE:
        raise ValidationError(_("This building does not take card payments."))
    if not channel.stripe_ready:
        raise ValidationError(
            _(
                "%(owner)s does not take card payments yet: its administrators must enter its "
                "Stripe keys on its payment channel page (Payment channels). Until then, settle "
                "it directly with %(owner)s (a deposit: by cheque)."
            )
            % {"owner": owner.name}
        )
    return channel


# --- Paying ---


def booking_payment_open(*, booking: Booking, actor: Actor) -> Payment:
    """The payment of a booking's fee, created if needed (nothing is sent to Stripe yet).

    A pending request's card is held until the decision; a confirmed booking's is charged.
    `PLATFORM` opens it for a pay link after approval. Raises PermissionDenied (not the actor's
    booking), ValidationError (no fee, no card channel, booking not active).
    """
    if not is_platform(actor) and not bookings_of_requester(actor).filter(pk=booking.pk).exists():
        raise PermissionDenied(_("You may only pay for your organisation's bookings."))
    booking = Booking.objects.select_related("space__site", "organisation").get(pk=booking.pk)
    if booking.status not in OCCUPYING:
        raise ValidationError(_("This booking is no longer active: there is nothing to pay."))
    live = selectors.payment_live_of(booking=booking)
    if live is not None:
        return live
    channel = stripe_channel_of(selectors.collecting_organisation(booking.space))
    price = selectors.booking_quote(booking=booking)
    if price is None or price.is_free:
        raise ValidationError(_("This booking is free: there is nothing to pay."))
    try:
        with transaction.atomic():
            return Payment.objects.create(
                purpose=PaymentPurpose.BOOKING_FEE,
                booking=booking,
                owner=channel.owner,
                amount_cents=price.amount_cents,
                price_rule=price.rule,
                hold_first=booking.status == BookingStatus.PENDING,
            )
    except IntegrityError:  # opened at the same moment elsewhere (a constraint): use that one
        return selectors.payment_live_of(booking=booking)


def _intent_metadata(payment: Payment) -> dict[str, str]:
    if payment.booking_id:
        return {"booking_id": str(payment.booking_id), "purpose": payment.purpose}
    return {"allocation_id": str(payment.allocation_id), "purpose": payment.purpose}


def payment_pay(
    *, payment: Payment, actor: User, payment_method: str, now: datetime | None = None
) -> Payment:
    """Hold or charge the card (a PaymentMethod made in the browser by Stripe.js).

    Returns the payment as Stripe leaves it: authorised or paid, or still awaiting payment
    when the bank asks for a 3-D Secure check (the page then finishes it with the intent's
    client secret and calls `payment_refresh`). Raises PermissionDenied (not the payer),
    ValidationError (nothing to pay, deadline passed, no card channel), PaymentFailed (declined
    card: the attempt is recorded as failed and a new one may be made),
    PaymentServiceUnavailable (Stripe out of reach: the payment is left as it was).
    """
    now = now or timezone.now()
    if not selectors.payments_payable_by(actor).filter(pk=payment.pk).exists():
        raise PermissionDenied(_("You may only pay for your organisation."))
    payment.refresh_from_db()
    if payment.status != PaymentStatus.REQUIRES_AUTHORISATION:
        return payment
    if not payment.payable_at(now):
        raise ValidationError(_("The deadline to pay has passed."))
    if payment.stripe_intent_id:  # an attempt awaits its 3-D Secure check: read where it is
        payment_refresh(payment=payment, actor=actor)
        return payment
    channel = stripe_channel_of(payment.owner)
    try:
        state = stripe_gateway.intent_create(
            api_key=channel.stripe_secret_key,
            payment_id=payment.pk,
            amount_cents=payment.amount_cents,
            hold_first=payment.hold_first,
            metadata=_intent_metadata(payment),
            payment_method=payment_method,
        )
    except PaymentServiceUnavailable:
        raise  # nothing decided: the payment waits as it was, and a retry reuses its key
    except PaymentFailed as exc:
        with transaction.atomic():
            payment_transition(
                payment=payment,
                to=PaymentStatus.FAILED,
                actor=actor,
                reason=exc.message,
                failure_message=exc.message,
            )
        raise
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(stripe_intent_id=state.id)
        payment.stripe_intent_id = state.id
        payment_sync(payment, state, actor=actor)
    payment.refresh_from_db()
    _capture_if_already_approved(payment)
    return payment


def _capture_if_already_approved(payment: Payment) -> None:
    """A card held after its booking was approved (instant confirmation, or a decision made
    while the requester was paying) is collected at once."""
    if (
        payment.status == PaymentStatus.AUTHORISED
        and payment.purpose == PaymentPurpose.BOOKING_FEE
        and Booking.objects.filter(pk=payment.booking_id, status=BookingStatus.CONFIRMED).exists()
    ):
        payment_capture(payment=payment, actor=PLATFORM)
        payment.refresh_from_db()


def payment_start(*, booking: Booking, actor: User, payment_method: str) -> Payment:
    """Open the payment of a booking's fee and pay it with the card, in one step. Only a
    person pays (PermissionDenied for the platform, which only opens pay links)."""
    if is_platform(actor):
        raise PermissionDenied
    return payment_pay(
        payment=booking_payment_open(booking=booking, actor=actor),
        actor=actor,
        payment_method=payment_method,
    )


def _live_twin(payment: Payment) -> Payment | None:
    """The payment that now stands for the same booking (and purpose) or agreement month."""
    if payment.purpose == PaymentPurpose.SUPPLEMENT:
        return selectors.supplement_unpaid_of(payment.booking)
    if payment.booking_id:
        return selectors.payment_live_of(booking=payment.booking, purpose=payment.purpose)
    return (
        Payment.objects.filter(allocation=payment.allocation_id, period_start=payment.period_start)
        .exclude(status__in=ENDED)
        .first()
    )


def payment_retry(*, payment: Payment, actor: User) -> Payment:
    """A new attempt after a declined card, for the same booking or month and deadline."""
    if not selectors.payments_payable_by(actor).filter(pk=payment.pk).exists():
        raise PermissionDenied(_("You may only pay for your organisation."))
    if payment.status != PaymentStatus.FAILED:
        return payment
    live = _live_twin(payment)
    if live is not None:
        return live
    copied = ["purpose", "booking_id", "allocation_id", "period_start", "period_end"]
    copied += ["owner_id", "amount_cents", "price_rule", "hold_first", "due_by"]
    try:
        with transaction.atomic():
            return Payment.objects.create(**{name: getattr(payment, name) for name in copied})
    except IntegrityError:  # retried at the same moment elsewhere (a constraint)
        return _live_twin(payment)


def payment_refresh(*, payment: Payment, actor: Actor) -> bool:
    """Read the PaymentIntent again and follow it (after a 3-D Secure check in the browser).
    Returns True if the payment changed. Raises PermissionDenied (neither the platform nor
    someone who sees the payment), PaymentFailed (Stripe unreachable)."""
    if (
        not is_platform(actor)
        and not selectors.payments_visible_to(actor).filter(pk=payment.pk).exists()
    ):
        raise PermissionDenied
    payment.refresh_from_db()
    if not payment.stripe_intent_id or payment.is_final:
        return False
    channel = PaymentChannel.objects.get(owner=payment.owner)
    state = stripe_gateway.intent_read(
        api_key=channel.stripe_secret_key, intent_id=payment.stripe_intent_id
    )
    with transaction.atomic():
        changed = payment_sync(payment, state, actor=actor)
    payment.refresh_from_db()
    _capture_if_already_approved(payment)
    return changed


def payment_client_secret(*, payment: Payment) -> str:
    """The secret the browser needs to finish a 3-D Secure check ("" when none is pending)."""
    if not payment.stripe_intent_id or payment.status != PaymentStatus.REQUIRES_AUTHORISATION:
        return ""
    channel = PaymentChannel.objects.get(owner=payment.owner)
    state = stripe_gateway.intent_read(
        api_key=channel.stripe_secret_key, intent_id=payment.stripe_intent_id
    )
    return state.client_secret if state.status == "requires_action" else ""


# --- Capture and release, following the booking ---


def payment_capture(*, payment: Payment, actor: Actor) -> bool:
    """Collect an authorised payment (its booking was approved): the platform's reaction, never
    a person's (PermissionDenied). Raises PaymentFailed."""
    if not is_platform(actor):
        raise PermissionDenied
    payment.refresh_from_db()
    if payment.status != PaymentStatus.AUTHORISED:
        return False
    channel = PaymentChannel.objects.get(owner=payment.owner)
    state = stripe_gateway.intent_capture(
        api_key=channel.stripe_secret_key,
        payment_id=payment.pk,
        intent_id=payment.stripe_intent_id,
    )
    with transaction.atomic():
        return payment_sync(payment, state, actor=actor)


def payment_release(*, payment: Payment, actor: Actor, reason: str = "") -> bool:
    """Release the hold on the card (booking refused, lapsed or cancelled before approval):
    the platform following the booking, or a manager of the payment (PermissionDenied
    otherwise)."""
    if (
        not is_platform(actor)
        and not selectors.payments_manageable_by(actor).filter(pk=payment.pk).exists()
    ):
        raise PermissionDenied
    payment.refresh_from_db()
    if payment.status not in (PaymentStatus.REQUIRES_AUTHORISATION, PaymentStatus.AUTHORISED):
        return False
    if payment.stripe_intent_id:
        channel = PaymentChannel.objects.get(owner=payment.owner)
        state = stripe_gateway.intent_cancel(
            api_key=channel.stripe_secret_key,
            payment_id=payment.pk,
            intent_id=payment.stripe_intent_id,
        )
        with transaction.atomic():
            return payment_sync(payment, state, actor=actor, reason=reason)
    with transaction.atomic():
        return payment_transition(
            payment=payment, to=PaymentStatus.RELEASED, actor=actor, reason=reason
        )


def booking_fee_collect(*, booking: Booking, now: datetime | None = None) -> Payment | None:
    """The booking was approved: capture the held card, or, when nothing is held any more (the
    hold lapsed before the decision, or the requester never paid), send a pay link; the slot
    is kept until its deadline (`payments_expire_unpaid`). Raises PaymentFailed."""
    now = now or timezone.now()
    payment = selectors.payment_live_of(booking=booking)
    if payment is not None and payment.status == PaymentStatus.AUTHORISED:
        try:
            payment_capture(payment=payment, actor=PLATFORM)
        except PaymentFailed:
            # the hold lapsed at Stripe: it is now released
            payment_refresh(payment=payment, actor=PLATFORM)
        payment.refresh_from_db()
        if payment.status == PaymentStatus.CAPTURED:
            _refund_dates_cancelled_before_approval(payment)
            return payment
        payment = selectors.payment_live_of(booking=booking)
    if payment is not None and payment.status != PaymentStatus.REQUIRES_AUTHORISATION:
        return payment
    if payment is not None and payment.stripe_intent_id:
        payment_release(payment=payment, actor=PLATFORM, reason=_("Replaced by a payment link."))
        payment = None
    route = selectors.fee_channel_for(booking.space)
    channel = route.channel
    if route.kind == selectors.FeeRouteKind.INVOICE and channel is not None:
        # No card payment (the public accountant, or a card channel without its keys falling
        # back to invoicing): the requester is told that a payment notice will come, and how
        # to pay it (the billing line goes to the billing export).
        price = selectors.booking_quote(booking=booking)
        if price is not None and not price.is_free:
            with transaction.atomic():
                notifications.public_accountant_notify(
                    booking=booking, channel=channel, amount_cents=price.amount_cents
                )
        return None
    if route.kind != selectors.FeeRouteKind.CARD or channel is None:
        return None
    if payment is None:
        try:
            payment = booking_payment_open(booking=booking, actor=PLATFORM)
        except ValidationError:
            return None  # free for this organisation: nothing to collect
    due_by = now + timedelta(hours=channel.pay_within_hours)
    Payment.objects.filter(pk=payment.pk).update(hold_first=False, due_by=due_by)
    payment.refresh_from_db()
    with transaction.atomic():
        notifications.notify(payment, "pay_link")
    return payment


def _refund_dates_cancelled_before_approval(payment: Payment) -> None:
    """Dates cancelled while the request was pending were held but are not owed."""
    price = selectors.booking_quote(booking=payment.booking)
    owed = price.amount_cents if price is not None else payment.amount_cents
    if owed < payment.captured_cents:
        refund_issue(
            payment=payment,
            actor=PLATFORM,
            amount_cents=payment.captured_cents - owed,
            reason=_("Dates cancelled before the approval."),
        )


def payments_expire_unpaid(*, now: datetime | None = None) -> list[Payment]:
    """Payments past their deadline: release them (the caller frees what they held).
    Returns the payments released."""
    now = now or timezone.now()
    released = []
    overdue = (
        Payment.objects.filter(status=PaymentStatus.REQUIRES_AUTHORISATION, due_by__lt=now)
        .exclude(purpose=PaymentPurpose.AGREEMENT_FEE)  # a month stays owed: never released
        .order_by("pk")
    )
    for payment in overdue:
        if payment.stripe_intent_id and payment_refresh(payment=payment, actor=PLATFORM):
            payment.refresh_from_db()
            if payment.status != PaymentStatus.REQUIRES_AUTHORISATION:
                continue  # paid at the last minute: the webhook was late
        if payment_release(payment=payment, actor=PLATFORM, reason=_("Not paid by the deadline.")):
            released.append(payment)
    return released


def booking_fees_expire_unpaid(*, now: datetime | None = None) -> int:
    """Release the pay links of bookings past their deadline, and the slots they kept: the
    booking is cancelled by the platform and the requester told, in one e-mail that says why
    (the booking's own cancellation e-mail is not sent). Returns how many."""
    count = 0
    for payment in payments_expire_unpaid(now=now):
        if payment.purpose != PaymentPurpose.BOOKING_FEE:
            continue
        booking = Booking.objects.get(pk=payment.booking_id)
        if booking.status in OCCUPYING:
            booking_cancel(
                booking=booking,
                actor=PLATFORM,
                reason=_("Not paid by the deadline."),
                notify_requester=False,
            )
        with transaction.atomic():
            notifications.notify(payment, "expired")
        count += 1
    return count
