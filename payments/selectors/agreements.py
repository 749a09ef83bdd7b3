"""Reads of the monthly fees of agreements: which agreements are billable, who collects, the
price of a month, their payments and the overdue ones."""

from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from bookings.models import Allocation, AllocationStatus
from payments.models import (
    Payment,
    PaymentPurpose,
    PaymentStatus,
)
from payments.rules import (
    Price,
    agreement_month_price,
)
from payments.selectors.prices import collecting_organisation
from spaces.models import Space

# From signature to end the fee is owed for the days occupied: a signed agreement that starts
# mid-month is billed for that month before the daily job activates it, and an ended one
# still owes its last months when they are billed late.
AGREEMENT_BILLABLE = (AllocationStatus.SIGNED, AllocationStatus.ACTIVE, AllocationStatus.ENDED)


def agreement_occupied_end(allocation: Allocation) -> date:
    """The day after the last day occupied (exclusive): the early termination, else the term."""
    return allocation.terminated_on or allocation.end


def agreements_billable(*, first_day: date, last_day: date) -> QuerySet[Allocation]:
    """Signed, active or ended agreements with a fee whose term touches the days between
    `first_day` and `last_day` (both included); an early termination is checked per month by
    `agreement_months` (with `agreement_occupied_end`)."""
    return (
        Allocation.objects.filter(
            status__in=AGREEMENT_BILLABLE,
            annual_fee_cents__gt=0,
            start__lte=last_day,
            end__gt=first_day,
        )
        .select_related("structure", "owner")
        .prefetch_related(
            Prefetch(
                "spaces",
                queryset=Space.objects.select_related("site__managing_organisation", "site__owner"),
            )
        )
    )


def agreement_collector(allocation: Allocation) -> Organisation:
    """Who collects an agreement's fee: who collects the fees of its spaces
    (`collecting_organisation`: the body that runs the building when one does, a SCIC re-letting
    offices, else the owner). An agreement over buildings run by different bodies, or some by the
    owner itself, is collected by the owner, the party to the agreement."""
    collectors = {collecting_organisation(space) for space in allocation.spaces.all()}
    return collectors.pop() if len(collectors) == 1 else allocation.owner


def agreement_month_price_of(allocation: Allocation, *, month_start: date) -> Price:
    """The fee of one month of `allocation` (`month_start`: the 1st) and its rule."""
    return agreement_month_price(
        annual_fee_cents=allocation.annual_fee_cents,
        month_start=month_start,
        month_end=(month_start + timedelta(days=32)).replace(day=1),
        agreement_start=allocation.start,
        agreement_end=agreement_occupied_end(allocation),
    )


def _latest_attempt_per_month() -> Exists:
    """True for a payment that a later attempt for the same agreement month replaced (a retry
    after a declined card, a new request after a release)."""
    return Exists(
        Payment.objects.filter(
            allocation=OuterRef("allocation"),
            period_start=OuterRef("period_start"),
            pk__gt=OuterRef("pk"),
        )
    )


def agreement_payments(allocation: Allocation) -> QuerySet[Payment]:
    """The monthly payments of an agreement, one per month (its latest attempt), oldest first:
    for the agreement page (`payments/_agreement_payments.html`)."""
    return (
        Payment.objects.filter(allocation=allocation, purpose=PaymentPurpose.AGREEMENT_FEE)
        .exclude(_latest_attempt_per_month())
        .order_by("period_start", "pk")
    )


def _agreement_payments_overdue(now: datetime | None) -> QuerySet[Payment]:
    """Months of agreements unpaid past their deadline: awaiting payment, or whose last card
    attempt was declined. Unlike a booking's pay link they are never released (the month
    stays owed): the manager follows them up."""
    return (
        Payment.objects.filter(
            purpose=PaymentPurpose.AGREEMENT_FEE,
            status__in=[PaymentStatus.REQUIRES_AUTHORISATION, PaymentStatus.FAILED],
            due_by__lt=now or timezone.now(),
        )
        .exclude(_latest_attempt_per_month())
        .select_related("allocation__structure")
        .order_by("due_by", "pk")
    )


def agreement_payments_overdue(
    owner: Organisation, *, now: datetime | None = None
) -> QuerySet[Payment]:
    """Overdue months of the agreements that `owner` collects."""
    return _agreement_payments_overdue(now).filter(owner=owner)


def agreement_payments_overdue_for(
    user: AnyUser, *, now: datetime | None = None
) -> QuerySet[Payment]:
    """Overdue months of the agreements whose fees the user's organisations collect (all of
    them for the intercommunality), in one query."""
    overdue = _agreement_payments_overdue(now)
    if user_is_territory_admin(user):
        return overdue
    return overdue.filter(owner__in=organisations_of(user).values("pk"))
