"""Deposits (cautions): a card hold placed shortly before a confirmed booking, released after
it unless the manager reports damage and keeps all or part of it, with a reason.

Paying a deposit is `cards.payment_pay`: with `hold_first` it creates a manual-capture
PaymentIntent, so nothing is taken. A card hold lasts at most 7 days at Stripe, hence the
window to place it (`DEPOSIT_HOLD_DAYS_BEFORE`). Stripe is called outside transactions.
"""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM
from accounts.conflicts import decision_check_impartial
from accounts.models import User
from bookings.models import Booking, BookingStatus
from bookings.selectors import bookings_of_requester
from payments import notifications, selectors, stripe_gateway
from payments.exceptions import PaymentFailed
from payments.models import Payment, PaymentChannel, PaymentPurpose, PaymentStatus
from payments.rules import format_eur
from payments.selectors import (
    DEPOSIT_HOLD_DAYS_BEFORE,
    booking_use_ends_at,
    deposit_live_of,
    deposit_opens_at,
    deposits_to_release,
)
from payments.services.cards import payment_release, stripe_channel_of
from payments.services.status import payment_sync

logger = logging.getLogger(__name__)


def deposit_open(*, booking: Booking, actor: User, now: datetime | None = None) -> Payment:
    """The deposit of a confirmed booking, created if needed (nothing is sent to Stripe yet:
    the requester then holds it with `cards.payment_pay`, on the payment's page).

    Raises PermissionDenied (not the actor's organisation), ValidationError (no deposit asked,
    booking not confirmed or over, too early for a hold, no card channel).
    """
    now = now or timezone.now()
    if not bookings_of_requester(actor).filter(pk=booking.pk).exists():
        raise PermissionDenied(_("You may only place the deposit of your organisation's bookings."))
    booking = Booking.objects.select_related("space__site").get(pk=booking.pk)
    if booking.space.deposit_cents <= 0:
        raise ValidationError(_("This space asks for no deposit."))
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(_("A deposit is placed once the booking is confirmed."))
    live = deposit_live_of(booking=booking)
    if live is not None:
        return live
    opens_at = deposit_opens_at(booking=booking)
    if now < opens_at:
        raise ValidationError(
            _("The deposit can be placed from %(date)s, %(days)s days before the booking.")
            % {
                "date": date_format(timezone.localtime(opens_at), "SHORT_DATETIME_FORMAT"),
                "days": DEPOSIT_HOLD_DAYS_BEFORE,
            }
        )
    if now >= booking_use_ends_at(booking=booking):
        raise ValidationError(_("This booking is over: no deposit is needed any more."))
    channel = stripe_channel_of(selectors.collecting_organisation(booking.space))
    try:
        with transaction.atomic():
            return Payment.objects.create(
                purpose=PaymentPurpose.DEPOSIT,
                booking=booking,
                owner=channel.owner,
                amount_cents=booking.space.deposit_cents,
                price_rule=_(
                    "Deposit of %(space)s: held on the card, released after the booking unless "
                    "damage is found."
                )
                % {"space": booking.space.name},
                hold_first=True,
            )
    except IntegrityError:  # opened at the same moment elsewhere (a constraint): use that one
        return deposit_live_of(booking=booking)


def _managed_deposit(payment: Payment, actor: User) -> Payment:
    """The deposit re-read, if `actor` may settle it: a manager of the collector who does not
    belong to the payer. Raises PermissionDenied, ConflictOfInterest, ValidationError."""
    if not selectors.payments_manageable_by(actor).filter(pk=payment.pk).exists():
        raise PermissionDenied(_("Only the building's managers may settle its deposits."))
    payment.refresh_from_db()
    if payment.purpose != PaymentPurpose.DEPOSIT:
        raise ValidationError(_("This payment is not a deposit."))
    decision_check_impartial(actor=actor, organisation=payment.payer)
    return payment


def deposit_keep(*, payment: Payment, actor: User, amount_cents: int, reason: str) -> Payment:
    """Keep all or part of a held deposit (damage, a lost key…); the rest of the hold is
    released by Stripe. The reason is logged and sent to the requester.

    Two managers keeping at once: Stripe captures an intent once and refuses the second call
    (PaymentFailed), so nothing is taken twice. Raises PermissionDenied (not a manager of the
    collector), ValidationError (no reason, amount out of range, deposit not held),
    PaymentFailed (Stripe refused: e.g. the hold already lapsed).
    """
    payment = _managed_deposit(payment, actor)
    errors = {}
    if not reason.strip():
        errors["reason"] = _("Give the reason for keeping the deposit: it is sent to the payer.")
    if not 0 < amount_cents <= payment.amount_cents:
        errors["amount"] = _("The amount kept must be more than 0 and at most %(held)s.") % {
            "held": format_eur(payment.amount_cents)
        }
    if errors:
        raise ValidationError(errors)
    if payment.status != PaymentStatus.AUTHORISED:
        raise ValidationError(
            _("Only a deposit held on the card can be kept; this one is: %(status)s.")
            % {"status": payment.get_status_display()}
        )
    channel = PaymentChannel.objects.get(owner=payment.owner)
    state = stripe_gateway.intent_capture(
        api_key=channel.stripe_secret_key,
        payment_id=payment.pk,
        intent_id=payment.stripe_intent_id,
        amount_cents=amount_cents,
    )
    with transaction.atomic():
        # Stripe reports the partial capture as a refund of the remainder on the charge;
        # `captured_cents` records what was really kept.
        if payment_sync(
            payment, state, actor=actor, reason=reason.strip(), captured_cents=amount_cents
        ):
            notifications.notify(payment, "deposit_kept", reason=reason.strip())
    payment.refresh_from_db()
    return payment


def deposit_release(*, payment: Payment, actor: User, reason: str = "") -> bool:
    """Release a deposit before its time (nothing to report). Returns False if it was no
    longer open. Raises PermissionDenied, PaymentFailed."""
    payment = _managed_deposit(payment, actor)
    return payment_release(
        payment=payment, actor=actor, reason=reason.strip() or _("Released by the manager.")
    )


def deposits_release_after_use(*, now: datetime | None = None) -> int:
    """Release the deposits of bookings over for DEPOSIT_RELEASE_HOURS (no damage reported),
    or cancelled, refused or lapsed. Returns how many were released.

    One failure (Stripe unreachable, a hold that already lapsed there) is logged and skipped;
    the next run, or `reconcile_payments`, catches up.
    """
    released = 0
    for payment in deposits_to_release(now=now):
        ended = payment.booking.status == BookingStatus.CONFIRMED
        reason = _("Booking over, no damage reported.") if ended else _("Booking no longer active.")
        try:
            released += payment_release(payment=payment, actor=PLATFORM, reason=reason)
        except PaymentFailed:
            logger.warning("The deposit %s could not be released", payment.pk)
    return released


def deposit_release_for_booking(*, booking: Booking, reason: str) -> bool:
    """Release the deposit of a booking that ended before use (cancelled, refused, lapsed).
    A deposit already kept stays kept. Raises PaymentFailed."""
    payment = deposit_live_of(booking=booking)
    if payment is None:
        return False
    return payment_release(payment=payment, actor=PLATFORM, reason=reason)
