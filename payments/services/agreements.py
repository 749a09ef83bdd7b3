"""Monthly payment requests of long-term agreements collected by card (Stripe).

Each calendar month of an agreement with a fee is one Payment (purpose AGREEMENT_FEE), charged
at once when the structure pays (no hold) and due within `AGREEMENT_PAYMENT_DUE`. An owner
that collects through the public accountant gets no Payment: its months are billing lines of
the public-accounting export (`selectors.billing_lines`); a free agreement has no fee.

Unlike a booking's pay link, an unpaid month is never released at its deadline (nothing is
held that could be freed, and the fee stays owed): `selectors.agreement_payments_overdue`
lists those months for the managers.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from bookings.models import Allocation
from bookings.selectors import local_zone
from payments import notifications, selectors
from payments.models import Payment, PaymentChannel, PaymentPurpose
from payments.rules import agreement_months

logger = logging.getLogger(__name__)

# Monthly invoices are due within 30 days (the usual term for a redevance called monthly).
AGREEMENT_PAYMENT_DUE = timedelta(days=30)


def _month_bounds(month: date) -> tuple[date, date]:
    """The first and last days of the calendar month of `month`."""
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _collects_by_card(collector_id: int, channels: dict[int, PaymentChannel]) -> bool:
    channel = channels.get(collector_id)
    return channel is not None and channel.stripe_ready


def _request_issue(
    *,
    allocation: Allocation,
    collector_id: int,
    month_start: date,
    period: tuple[date, date],
    now: datetime,
) -> Payment | None:
    """Create the payment of one agreement month (`period`: its days occupied, end exclusive)
    and mail the pay link once committed; None when the month already has a payment."""
    period_start, period_end = period
    # Any earlier payment of the month counts, not only a live one: after a declined card the
    # structure retries that payment (`payment_retry`), and a month a manager released was
    # waived; issuing again would ask for the month twice.
    if Payment.objects.filter(allocation=allocation, period_start=period_start).exists():
        return None
    # The rule is stored text: written in the platform's language, not the caller's.
    with translation.override(settings.LANGUAGE_CODE):
        price = selectors.agreement_month_price_of(allocation, month_start=month_start)
    if price.is_free:
        return None
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                purpose=PaymentPurpose.AGREEMENT_FEE,
                allocation=allocation,
                period_start=period_start,
                period_end=period_end,
                owner_id=collector_id,
                amount_cents=price.amount_cents,
                price_rule=price.rule,
                hold_first=False,
                due_by=now + AGREEMENT_PAYMENT_DUE,
            )
            notifications.notify(payment, "pay_link")
    except IntegrityError:
        # Issued at the same moment by another run (payment_one_live_per_agreement_month):
        # that run sends the e-mail.
        return None
    logger.info(
        "Agreement %s: payment %s requested for %s", allocation.pk, payment.pk, period_start
    )
    return payment


def agreement_payment_requests_issue(
    *, month: date | None = None, now: datetime | None = None
) -> list[Payment]:
    """Request the fee of the calendar month of `month` (by default the current month in the
    sites' time zone: at 00:30 on the 1st it is still the previous month in UTC) from every
    agreement with a fee that is collected by card, and e-mail each structure its pay link.
    Returns the payments created.

    Idempotent: a month that already has a payment is skipped, and two runs at the same moment
    create each payment once (a constraint). Agreements are signed, active or ended ones whose
    days in the month are owed (`selectors.AGREEMENT_BILLABLE`), so a first month starting on
    the 15th is requested even when the run on the 1st precedes the activation. The collector
    is `selectors.agreement_collector`; collectors without a ready Stripe channel (public
    accountant, free, keys missing) are left out.
    """
    now = now or timezone.now()
    month = month or timezone.localdate(now, timezone=local_zone())
    first_day, last_day = _month_bounds(month)
    agreements = list(
        selectors.agreements_billable(first_day=first_day, last_day=last_day).order_by("pk")
    )
    collectors = {
        allocation.pk: selectors.agreement_collector(allocation).pk for allocation in agreements
    }
    channels = {
        channel.owner_id: channel
        for channel in PaymentChannel.objects.filter(owner__in=set(collectors.values()))
    }
    issued = []
    for allocation in agreements:
        collector_id = collectors[allocation.pk]
        if not _collects_by_card(collector_id, channels):
            continue
        months = agreement_months(
            agreement_start=allocation.start,
            agreement_end=selectors.agreement_occupied_end(allocation),
            first_day=first_day,
            last_day=last_day,
        )
        if not months:
            continue  # terminated before the month
        [(_month, period_start, period_end)] = months
        payment = _request_issue(
            allocation=allocation,
            collector_id=collector_id,
            month_start=first_day,
            period=(period_start, period_end),
            now=now,
        )
        if payment is not None:
            issued.append(payment)
    return issued
