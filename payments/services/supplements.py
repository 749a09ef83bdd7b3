"""The fee follows a changed booking (issue 16), through the booking's payment channel.

Card (Stripe): the fee as the booking now stands is compared with what was collected for it
(the fee and the supplements already paid, less their refunds). More: the difference is asked
as a supplement, a second Payment of the booking (purpose "supplement") that the requester
pays from its page with their consent: an e-mail and a notification link to it, nothing is
charged without them. Less: the unpaid supplement is cancelled first, then the rest refunded,
the last supplement first. The decision is made under the booking's lock, as a target (the
supplement to ask, the refunds to make), so a change heard twice or two changes at once ask
or refund once; Stripe is called after the transaction.

Public accountant: the difference becomes a supplement line of the billing export
(`BillingSupplement`), a complementary titre de recettes; a later change that lowers the
price cancels the due supplements first. Free: nothing.
"""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, logged_actor
from bookings.models import OCCUPYING, Booking, BookingStatus, Occupancy
from payments import notifications, selectors
from payments.models import (
    BOOKING_CHARGES,
    ENDED,
    UNPAID,
    BillingSupplement,
    BillingSupplementStatus,
    Payment,
    PaymentLog,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.rules import format_eur
from payments.services.cards import payment_release
from payments.services.refunds import refund_send
from payments.services.status import payment_transition
from spaces.models import Space

Slot = tuple[str, str, int]  # (start ISO, end ISO, space id), as bookings.signals sends it


def _kept_cents(payment: Payment) -> int:
    """What a collected payment still holds: captured, less its refunds not failed."""
    refunded = (
        payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount_cents"))[
            "total"
        ]
        or 0
    )
    return payment.captured_cents - refunded


def booking_price_follow(
    *,
    booking: Booking,
    actor: Actor,
    before: Slot | None = None,
    after: Slot | None = None,
    series: bool = False,
) -> None:
    """A booking moved (`bookings.signals.booking_changed`; `series`: a series changed from a
    date): its fee follows, through the channel that collects it (card:
    `booking_supplement_settle`; public accountant: `billing_supplement_follow`; free or
    nothing set up: nothing). Raises PaymentFailed."""
    route = selectors.fee_channel_for(booking.space)
    if route.kind == selectors.FeeRouteKind.CARD:
        booking_supplement_settle(booking=booking, actor=actor)
    elif route.kind == selectors.FeeRouteKind.INVOICE and before and after:
        billing_supplement_follow(booking=booking, before=before, after=after, series=series)


# --- Card ---


def booking_supplement_settle(*, booking: Booking, actor: Actor = PLATFORM) -> Payment | None:
    """Ask what the booking's fee now lacks, or give back what it exceeds; returns the
    supplement to pay, if any.

    Only a confirmed booking whose fee was collected is settled: a pending one (a change
    awaiting approval) is settled on approval, a booking that ended has its unpaid supplement
    released. Raises PaymentFailed (Stripe refused a release or a refund: retried at the next
    change, or by a manager)."""
    refunds: list[Refund] = []
    for _attempt in range(2):
        with transaction.atomic():
            plan = _settle_locked(booking=booking, actor=actor)
        if plan.release is None:
            refunds = plan.refunds
            break
        # A card attempt is open at Stripe for the old amount: cancel it, then ask again.
        payment_release(
            payment=plan.release, actor=PLATFORM, reason=_("Replaced: the price changed again.")
        )
    for refund in refunds:
        refund_send(refund=refund, actor=actor)
    return selectors.supplement_unpaid_of(booking)


class _Plan:
    def __init__(self, release: Payment | None = None, refunds: list[Refund] | None = None):
        self.release = release
        self.refunds = refunds or []


def _settle_locked(*, booking: Booking, actor: Actor) -> _Plan:
    """Under the booking's lock (then its charges'), bring the unpaid supplement to what is
    owed and reserve the refunds of what is exceeded. Must run inside transaction.atomic()."""
    # The booking's row alone (`of`): its space is locked before it by bookings, never after.
    locked = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("space__site", "organisation")
        .get(pk=booking.pk)
    )
    charges = list(
        Payment.objects.select_for_update()
        .filter(booking=locked, purpose__in=BOOKING_CHARGES)
        .exclude(status__in=ENDED)
        .order_by("pk")
    )
    fee = next((p for p in charges if p.purpose == PaymentPurpose.BOOKING_FEE), None)
    unpaid = next(
        (p for p in charges if p.purpose == PaymentPurpose.SUPPLEMENT and p.status in UNPAID),
        None,
    )
    if locked.status not in OCCUPYING:
        return _supplement_set(locked, unpaid, 0, actor=actor, rule="")
    if fee is None or fee.status != PaymentStatus.CAPTURED:
        return _Plan()  # nothing collected yet: the fee is taken (or asked) as it then stands
    if locked.status != BookingStatus.CONFIRMED:
        return _Plan()  # a change awaiting approval: settled when approved
    price = selectors.booking_quote(booking=locked)
    owed = price.amount_cents if price is not None else 0
    captured = [p for p in charges if p.status == PaymentStatus.CAPTURED]
    kept = {p.pk: _kept_cents(p) for p in captured}
    paid = sum(kept.values())
    rule = _(
        "Price after the change: %(price)s (%(rule)s); already paid: %(paid)s; left to pay: "
        "%(due)s."
    ) % {
        "price": format_eur(owed),
        "rule": price.rule if price is not None else "",
        "paid": format_eur(paid),
        "due": format_eur(max(owed - paid, 0)),
    }
    plan = _supplement_set(locked, unpaid, max(owed - paid, 0), actor=actor, rule=rule)
    if plan.release is not None or owed >= paid:
        return plan
    excess = paid - owed
    reason = _("Booking changed: the new price is %(price)s, the difference is refunded.") % {
        "price": format_eur(owed)
    }
    for payment in sorted(captured, key=lambda p: p.pk, reverse=True):  # supplements first
        take = min(kept[payment.pk], excess)
        if take <= 0:
            continue
        plan.refunds.append(
            Refund.objects.create(
                payment=payment, amount_cents=take, reason=reason, actor=logged_actor(actor)
            )
        )
        excess -= take
    return plan


def _supplement_set(
    booking: Booking, unpaid: Payment | None, target: int, *, actor: Actor, rule: str
) -> _Plan:
    """Make the unpaid supplement ask `target` cents (none for 0). One that has a card attempt
    at Stripe is not changed in place: it is returned to be released first."""
    if unpaid is not None and unpaid.amount_cents == target:
        return _Plan()
    if unpaid is not None and unpaid.stripe_intent_id:
        return _Plan(release=unpaid)
    if unpaid is not None and target == 0:
        payment_transition(
            payment=unpaid,
            to=PaymentStatus.RELEASED,
            actor=actor,
            reason=_("No longer owed: the price of the booking went down."),
        )
        return _Plan()
    if target == 0:
        return _Plan()
    if unpaid is not None:
        Payment.objects.filter(pk=unpaid.pk).update(
            amount_cents=target, price_rule=rule or unpaid.price_rule
        )
        PaymentLog.objects.create(
            payment=unpaid,
            from_status=unpaid.status,
            to_status=unpaid.status,
            actor=logged_actor(actor),
            reason=_("The price changed again: %(amount)s to pay.")
            % {"amount": format_eur(target)},
        )
        supplement = unpaid
    else:
        supplement = Payment.objects.create(
            purpose=PaymentPurpose.SUPPLEMENT,
            booking=booking,
            owner=selectors.collecting_organisation(booking.space),
            amount_cents=target,
            price_rule=rule,
            hold_first=False,  # the booking is confirmed: charged at once, with consent
        )
        PaymentLog.objects.create(
            payment=supplement,
            to_status=supplement.status,
            actor=logged_actor(actor),
            reason=_("Booking changed: %(amount)s more to pay.") % {"amount": format_eur(target)},
        )
    notifications.notify(supplement, "supplement")
    return _Plan()


def _unpaid_locked(booking: Booking) -> Payment | None:
    return (
        Payment.objects.select_for_update()
        .filter(booking=booking, purpose=PaymentPurpose.SUPPLEMENT, status__in=UNPAID)
        .first()
    )


def supplement_reduce(*, booking: Booking, by_cents: int, actor: Actor) -> int:
    """Some dates of the booking were cancelled: the unpaid supplement is cancelled first, by
    up to their price `by_cents` (what it asked for them was never paid). Returns the cents
    taken off it; the cancellation policy applies to the rest. Raises PaymentFailed."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        unpaid = _unpaid_locked(locked)
        if unpaid is None or by_cents <= 0:
            return 0
        cut = min(unpaid.amount_cents, by_cents)
        if not unpaid.stripe_intent_id:
            _supplement_set(locked, unpaid, unpaid.amount_cents - cut, actor=actor, rule="")
            return cut
    # A card attempt is open at Stripe for the whole amount: cancel it, ask the rest anew.
    payment_release(payment=unpaid, actor=PLATFORM, reason=_("Dates cancelled."))
    unpaid.refresh_from_db()
    if unpaid.status != PaymentStatus.RELEASED:
        return 0  # paid meanwhile: the cancellation policy applies to all of it
    if unpaid.amount_cents > cut:
        with transaction.atomic():
            locked = Booking.objects.select_for_update().get(pk=booking.pk)
            _supplement_set(
                locked,
                _unpaid_locked(locked),
                unpaid.amount_cents - cut,
                actor=actor,
                rule=unpaid.price_rule,
            )
    return cut


def supplements_release(*, booking: Booking, reason: str) -> None:
    """The booking ended (cancelled, refused, lapsed): its unpaid supplement is not owed."""
    unpaid = selectors.supplement_unpaid_of(booking)
    if unpaid is not None:
        payment_release(payment=unpaid, actor=PLATFORM, reason=reason)


# --- Public accountant ---


def _slot_price(booking: Booking, slot: Slot) -> int:
    space = Space.objects.filter(pk=slot[2]).select_related("site").first()
    if space is None:
        return 0
    price = selectors.price_quote(
        space=space,
        organisation=booking.organisation,
        occurrences=[(datetime.fromisoformat(slot[0]), datetime.fromisoformat(slot[1]))],
    )
    return price.amount_cents if price is not None else 0


def _dates_price(booking: Booking, dates: list[selectors.RoomDate]) -> int:
    """The price of `dates`, each at the tariff of its room (`selectors.rooms_quote`)."""
    if not dates:
        return 0
    rooms = {space_id for space_id, _start, _end in dates}
    price = selectors.rooms_quote(
        organisation=booking.organisation,
        dates=dates,
        spaces=Space.objects.in_bulk(rooms),
        tariffs_by_space=selectors.tariffs_of_spaces(rooms),
    )
    return price.amount_cents if price is not None else 0


def _series_delta(booking: Booking, before: Slot, after: Slot) -> int:
    """What a series changed from a date (`bookings.services.series`) costs more, the whole
    booking over: its dates before the change's date are unchanged, and each date is priced on
    its own (`payments.rules.booking_price`), so the whole price moved by the price of the new
    dates (active, from the first new one, each in its room) less that of the dates given up
    (the rows the change freed: those freed at the same moment as the first one, `before`).
    Five queries, whatever the number of dates."""
    rows = Occupancy.objects.filter(booking=booking)
    freed_at = (
        rows.filter(active=False, space_id=before[2], start=datetime.fromisoformat(before[0]))
        .order_by("-cancelled_at")
        .values_list("cancelled_at", flat=True)
        .first()
    )
    given_up = (
        list(
            rows.filter(active=False, cancelled_at=freed_at).values_list("space_id", "start", "end")
        )
        if freed_at is not None
        else []
    )
    new = list(
        rows.filter(active=True, start__gte=datetime.fromisoformat(after[0])).values_list(
            "space_id", "start", "end"
        )
    )
    return _dates_price(booking, new) - _dates_price(booking, given_up)


def _slot_key(slot: Slot) -> str:
    """The slot in one spelling (UTC), whatever offset its sender wrote."""
    start, end = (datetime.fromisoformat(moment).astimezone(UTC) for moment in slot[:2])
    return f"{start:%Y%m%dT%H%M}/{end:%Y%m%dT%H%M}/{slot[2]}"


def billing_supplement_follow(
    *, booking: Booking, before: Slot, after: Slot, series: bool = False
) -> None:
    """A booking whose fee the public accountant collects moved from `before` to `after`:
    a higher price adds a supplement line to the billing export (a complementary titre, the
    booking's own line keeping the amount first billed); a lower one cancels the due
    supplements first, newest first (the booking's own line then bills the rest). Heard twice,
    a change records once (its slots name it). A series changed from a date (`series`) moves
    the price of all its dates from then on: the difference is the whole booking's
    (`_series_delta`), not that of its first date."""
    key = f"{_slot_key(before)}>{_slot_key(after)}"
    if series:
        delta = _series_delta(booking, before, after)
    else:
        delta = _slot_price(booking, after) - _slot_price(booking, before)
    if delta == 0:
        return
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__site")
            .get(pk=booking.pk)
        )
        supplements = BillingSupplement.objects.filter(booking=locked)  # under the booking lock
        if delta > 0:
            if not supplements.filter(change_key=key, status=BillingSupplementStatus.DUE).exists():
                BillingSupplement.objects.create(
                    booking=locked,
                    owner=selectors.collecting_organisation(locked.space),
                    amount_cents=delta,
                    change_key=key,
                    reason=_("Booking changed: %(amount)s more than the price first billed.")
                    % {"amount": format_eur(delta)},
                )
            return
        if supplements.filter(cancelled_by_change=key).exists():
            return  # this lowering was heard already
        left = -delta
        for supplement in supplements.filter(status=BillingSupplementStatus.DUE).order_by(
            "-created_at", "-pk"
        ):
            if left <= 0:
                break
            BillingSupplement.objects.filter(pk=supplement.pk).update(
                status=BillingSupplementStatus.CANCELLED, cancelled_by_change=key
            )
            if supplement.amount_cents > left:
                BillingSupplement.objects.create(
                    booking=locked,
                    owner=supplement.owner,
                    amount_cents=supplement.amount_cents - left,
                    change_key=supplement.change_key,
                    reason=supplement.reason,
                )
            left -= supplement.amount_cents
