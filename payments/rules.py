"""Pure pricing rules (no ORM, no I/O): organisation categories, the price of a booking and the
rule that produced it, refunds on cancellation.

Durations are real elapsed time (a 00:00–00:00 booking on the October clock change is 25 hours),
days are calendar days in the site's local time (that same booking is one day).
"""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import TextChoices
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

MAX_AMOUNT_CENTS = 10_000_000  # 100,000 €: any tariff above is a typing error
CURRENCY = "EUR"
HALF_DAY_HOURS = 4
MONTH_DAYS = 30


class OrganisationCategory(TextChoices):
    ASSOCIATION = "association", gettext_lazy("Association or foundation")
    ESS_COMPANY = "ess_company", gettext_lazy("ESS company or cooperative")
    INSERTION = "insertion", gettext_lazy("Integration structure (SIAE)")
    COMMUNE_SERVICE = "commune_service", gettext_lazy("Commune or intercommunality service")
    OTHER = "other", gettext_lazy("Other organisation")


class TariffUnit(TextChoices):
    HOUR = "hour", gettext_lazy("per hour")
    HALF_DAY = "half_day", gettext_lazy("per half-day (4 hours)")
    DAY = "day", gettext_lazy("per day")
    MONTH = "month", gettext_lazy("per month (30 days)")


# Values of accounts.models (OrganisationKind, EssFamily): kept as text so this module stays pure.
_PUBLIC_KINDS = {"commune", "epci"}
_NON_PROFIT_FAMILIES = {"association", "foundation"}


def organisation_category(*, kind: str, ess_family: str, siae_kind: str) -> str:
    """The tariff category of an organisation; an SIAE is an insertion structure whatever its
    legal form (many are associations), a public body is a commune service."""
    if kind in _PUBLIC_KINDS:
        return OrganisationCategory.COMMUNE_SERVICE
    if kind != "ess":
        return OrganisationCategory.OTHER
    if siae_kind:
        return OrganisationCategory.INSERTION
    if ess_family in _NON_PROFIT_FAMILIES:
        return OrganisationCategory.ASSOCIATION
    return OrganisationCategory.ESS_COMPANY


def format_eur(cents: int) -> str:
    """12,50 € in French, 12.50 € in English (the active language's number format)."""
    amount = number_format(Decimal(cents) / 100, decimal_pos=2, force_grouping=True)
    return f"{amount} €"


def _units_of(start: datetime, end: datetime, zone: ZoneInfo) -> dict[str, int]:
    """How many of each unit one occurrence counts: started hours and half-days of real
    elapsed time, local calendar days touched, started 30-day months."""
    elapsed = end.astimezone(UTC) - start.astimezone(UTC)
    if elapsed <= timedelta(0):
        raise ValueError("An occurrence ends after it starts")
    minutes = math.ceil(elapsed.total_seconds() / 60)
    local_end = end.astimezone(zone)
    last_day = local_end.date() if local_end.time() != datetime.min.time() else None
    first_day = start.astimezone(zone).date()
    if last_day is None:  # ends at midnight: the day it ends on is not used
        last_day = (local_end - timedelta(days=1)).date()
    days = (last_day - first_day).days + 1
    return {
        TariffUnit.HOUR: math.ceil(minutes / 60),
        TariffUnit.HALF_DAY: math.ceil(minutes / (60 * HALF_DAY_HOURS)),
        TariffUnit.DAY: days,
        TariffUnit.MONTH: math.ceil(days / MONTH_DAYS),
    }


def _unit_label(unit: str, quantity: int) -> str:
    labels = {
        TariffUnit.HOUR: ngettext("%(n)s hour", "%(n)s hours", quantity),
        TariffUnit.HALF_DAY: ngettext("%(n)s half-day", "%(n)s half-days", quantity),
        TariffUnit.DAY: ngettext("%(n)s day", "%(n)s days", quantity),
        TariffUnit.MONTH: ngettext("%(n)s month", "%(n)s months", quantity),
    }
    return labels[unit] % {"n": quantity}


@dataclass(frozen=True)
class Price:
    """What a booking costs and, in words, why (shown to the requester before confirming)."""

    amount_cents: int
    rule: str

    @property
    def is_free(self) -> bool:
        return self.amount_cents == 0


def booking_price(
    *,
    occurrences: list[tuple[datetime, datetime]],
    tariffs: dict[str, int],
    category_label: str,
    zone: ZoneInfo,
) -> Price | None:
    """The cheapest price of the occurrences under `tariffs` ({unit: cents} for the requester's
    category), or None when no tariff applies (the space is not priced for that category).

    Each occurrence is priced on its own with its best unit (a 10-hour day costs the day rate if
    that is below 10 hourly rates), so a series across a clock change prices its 23 h or 25 h
    date by its real hours.
    """
    if not tariffs or not occurrences:
        return None
    if 0 in tariffs.values():
        return Price(0, _("Free for this category: %(category)s.") % {"category": category_label})
    lines: Counter[tuple[str, int, int]] = Counter()
    total = 0
    for start, end in occurrences:
        units = _units_of(start, end, zone)
        unit = min(tariffs, key=lambda u: (units[u] * tariffs[u], u != TariffUnit.HOUR, u))
        total += units[unit] * tariffs[unit]
        lines[(unit, units[unit], tariffs[unit])] += 1
    parts = []
    for (unit, quantity, rate), dates in sorted(lines.items()):
        part = _("%(quantity)s × %(rate)s") % {
            "quantity": _unit_label(unit, quantity),
            "rate": format_eur(rate),
        }
        if dates > 1:
            part = ngettext("%(part)s, for %(n)s date", "%(part)s, for %(n)s dates", dates) % {
                "part": part,
                "n": dates,
            }
        parts.append(part)
    rule = _("%(lines)s (tariff: %(category)s).") % {
        "lines": "; ".join(parts),
        "category": category_label,
    }
    return Price(total, rule)


def refund_cents(
    *, amount_cents: int, hours_before_start: float, notice_hours: int, by_manager: bool
) -> tuple[int, str]:
    """The refund of a captured payment when its booking is cancelled, and why.

    The space's cancellation notice is the policy: the requester cancelling within it, or the
    manager cancelling at any time, gets everything back; after it, nothing (the service only
    lets managers cancel that late, and managers refund in full).
    """
    if by_manager:
        return amount_cents, _("Cancelled by the manager: refunded in full.")
    if hours_before_start >= notice_hours:
        return amount_cents, _(
            "Cancelled at least %(n)s hours before the start: refunded in full."
        ) % {"n": notice_hours}
    return 0, _("Cancelled less than %(n)s hours before the start: no refund.") % {
        "n": notice_hours
    }


# --- Monthly fees of long-term agreements ---

MONTHS_PER_YEAR = 12
REMAINDER_MONTH = 12  # December carries the cents that do not divide by twelve


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _full_month_fee(annual_fee_cents: int, month: int) -> int:
    """A twelfth of the annual fee, in whole cents; December also takes the remainder (0 to 11
    cents), so twelve full months add up to the annual fee exactly and the eleven other months
    show the same amount."""
    base = annual_fee_cents // MONTHS_PER_YEAR
    if month == REMAINDER_MONTH:
        return base + annual_fee_cents % MONTHS_PER_YEAR
    return base


def agreement_month_fee(
    *,
    annual_fee_cents: int,
    month_start: date,
    month_end: date,
    agreement_start: date,
    agreement_end: date,
) -> int:
    """The fee of one calendar month of an agreement, in cents.

    `month_start` is the 1st of the month and `month_end` the 1st of the next one; like
    `agreement_end`, it is exclusive. A full month costs a twelfth of the annual fee (see
    `_full_month_fee` for the rounding remainder); a first or last partial month costs that
    twelfth × days occupied / days in the month, rounded half up to the cent. The proration is
    by the month's own days (a leap February has 29), so an agreement of one year from the 15th
    adds up to the annual fee within a cent. No day occupied in the month: 0.

    Raises ValueError when the bounds are not a calendar month.
    """
    if month_start.day != 1 or month_end != _next_month(month_start):
        raise ValueError("month_start..month_end must be one calendar month")
    first = max(month_start, agreement_start)
    end = min(month_end, agreement_end)
    if first >= end:
        return 0
    full = _full_month_fee(annual_fee_cents, month_start.month)
    days, month_days = (end - first).days, (month_end - month_start).days
    # Integer arithmetic: half up, with no float error on large fees.
    return (2 * full * days + month_days) // (2 * month_days)


def agreement_month_price(
    *,
    annual_fee_cents: int,
    month_start: date,
    month_end: date,
    agreement_start: date,
    agreement_end: date,
) -> Price:
    """`agreement_month_fee` with the sentence that explains it (stored on the payment and
    shown on invoices and in the public-accounting export)."""
    fee = agreement_month_fee(
        annual_fee_cents=annual_fee_cents,
        month_start=month_start,
        month_end=month_end,
        agreement_start=agreement_start,
        agreement_end=agreement_end,
    )
    full = _full_month_fee(annual_fee_cents, month_start.month)
    values = {"annual": format_eur(annual_fee_cents), "month": format_eur(full)}
    if annual_fee_cents % MONTHS_PER_YEAR and month_start.month == REMAINDER_MONTH:
        rule = (
            _("Annual fee of %(annual)s ÷ 12 = %(month)s (December carries the rounding remainder)")
            % values
        )
    else:
        rule = _("Annual fee of %(annual)s ÷ 12 = %(month)s") % values
    days = (min(month_end, agreement_end) - max(month_start, agreement_start)).days
    month_days = (month_end - month_start).days
    if 0 < days < month_days:
        rule = _("%(rule)s, × %(days)s/%(month_days)s days occupied") % {
            "rule": rule,
            "days": days,
            "month_days": month_days,
        }
    return Price(fee, rule + ".")


def agreement_months(
    *, agreement_start: date, agreement_end: date, first_day: date, last_day: date
) -> list[tuple[date, date, date]]:
    """The calendar months of an agreement to bill in a period: (month_start, period_start,
    period_end) for each month whose first occupied day lies between `first_day` and
    `last_day` (both included); the period is the days occupied in the month, end exclusive.

    Choosing a month by its first occupied day means consecutive periods never bill a month
    twice nor miss one, and a month is always billed whole.
    """
    months = []
    month_start = max(agreement_start, first_day).replace(day=1)
    while month_start < agreement_end and month_start <= last_day:
        month_end = _next_month(month_start)
        period_start = max(month_start, agreement_start)
        period_end = min(month_end, agreement_end)
        if first_day <= period_start <= last_day and period_start < period_end:
            months.append((month_start, period_start, period_end))
        month_start = month_end
    return months


@dataclass(frozen=True)
class SharedSplit:
    """A fee or a value of a booking made in a time the occupant of an agreement shares
    (issue 17), split as its window says: the occupant's part (rounded half up to the cent)
    and the owner's (the rest, so the two always add up)."""

    occupant_percent: int
    occupant_cents: int
    owner_cents: int


def shared_split(amount_cents: int, occupant_percent: int) -> SharedSplit:
    occupant = (2 * amount_cents * occupant_percent + 100) // 200
    return SharedSplit(
        occupant_percent=occupant_percent,
        occupant_cents=occupant,
        owner_cents=amount_cents - occupant,
    )
