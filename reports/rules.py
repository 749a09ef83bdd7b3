"""Pure rules of the aid reports: thresholds and amounts. No ORM, no I/O."""

from datetime import date, timedelta
from decimal import Decimal

# Loi 2000-321 art. 10 and décret 2001-495: above this yearly aid from one body, a written
# agreement (convention d'objectifs) is compulsory. The decree says "dépasse"; the product flags
# from the threshold itself (DOMAIN.md §3.4), which errs on the side of signing an agreement.
AGREEMENT_THRESHOLD_CENTS = 2_300_000
# CGCT L2313-1: communes of 3,500 inhabitants or more annex the list of aid in kind to the budget.
ANNEX_POPULATION_THRESHOLD = 3_500

NBSP = "\u00a0"


def agreement_compulsory(total_cents: int) -> bool:
    return total_cents >= AGREEMENT_THRESHOLD_CENTS


def annex_compulsory(population: int | None) -> bool | None:
    """True at 3,500 inhabitants or more, False below, None when the population is unknown."""
    if population is None:
        return None
    return population >= ANNEX_POPULATION_THRESHOLD


def cents_to_decimal(cents: int) -> Decimal:
    """Euros with two decimals, for exports (a dot as decimal separator once written)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def euros_fr(cents: int) -> str:
    """French display of an amount: 23 000,00 € (no-break spaces, comma decimal)."""
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", NBSP)
    return f"{sign}{grouped},{hundredths:02d}{NBSP}€"


def year_window(year: int) -> tuple[date, date]:
    """The calendar year as [1 January, next 1 January)."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def period_in_year(*, start: date, end: date, year: int) -> tuple[date, date] | None:
    """First and last day (inclusive) of [start, end) within `year`, or None if outside."""
    first_day, after = year_window(year)
    first, stop = max(start, first_day), min(end, after)
    if first >= stop:
        return None
    return first, stop - timedelta(days=1)
