"""Pure rules of the aid reports: thresholds and amounts. No ORM, no I/O."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from payments.rules import HALF_DAY_HOURS, OrganisationCategory

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


# --- In-kind aid of hourly bookings ---

# The tariff category whose rates are the space's public rate: what an organisation with no
# reduction pays. Any lower price paid by a structure is a reduction, hence aid.
PUBLIC_CATEGORY = OrganisationCategory.OTHER

SECONDS_PER_HOUR = 3600


def public_reference_cents(
    *, tariffs: dict[str, int], held_seconds: int, dates: int
) -> Fraction | None:
    """What the held dates would cost at the space's public rate, in cents (exact), from its
    tariffs of the public category ({unit: cents}, units as payments.rules.TariffUnit values):

    - the hourly rate × the real elapsed hours (a 02:00–03:00 slot on the night of the October
      clock change lasts two hours);
    - else the half-day rate ÷ 4 per hour (the code's half-day is 4 hours);
    - else the day rate per date held (a date of a booking is at most a day of use).

    None when the owner set none of them, or set them at 0 (a space free for everyone has no
    price to value its use by): the valuation is then "missing", never a made-up zero. Month
    rates are for long stays, not for valuing hours.
    """
    hour, half_day, day = tariffs.get("hour"), tariffs.get("half_day"), tariffs.get("day")
    hours = Fraction(held_seconds, SECONDS_PER_HOUR)
    if hour:
        return Fraction(hour) * hours
    if half_day:
        return Fraction(half_day, HALF_DAY_HOURS) * hours
    if day:
        return Fraction(day * dates)
    return None


def booking_aid_cents(
    *,
    reference_cents: Fraction,
    held_seconds_in_year: int,
    held_seconds_total: int,
    paid_cents: int,
) -> int:
    """The in-kind aid of one booking for one calendar year, in whole cents (never negative).

    `reference_cents`: the public price of the dates held in the year
    (`public_reference_cents`). What was paid for the whole booking (net of refunds) is spread
    over its held dates in proportion to their hours, so a series across New Year pays each year
    its share. The aid is the difference, at least 0 (a booking paid at or above the public rate
    is no aid), computed exactly and rounded once, half up, to the cent: here, per booking and
    year. Every report adds these rounded amounts, so they all agree to the cent.
    """
    if held_seconds_in_year <= 0 or held_seconds_total <= 0:
        return 0
    paid_share = Fraction(paid_cents) * Fraction(held_seconds_in_year, held_seconds_total)
    return round_half_up(max(Fraction(0), reference_cents - paid_share))


def round_half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero (0.5 → 1, -0.5 → -1); exact arithmetic."""
    if value < 0:
        return -round_half_up(-value)
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


# --- SCDL "subventions" 2.1.1 (décret 2017-779, arrêté du 17 novembre 2017) ---

IN_KIND = "aide en nature"
IN_CASH = "aide en numéraire"


def scdl_nature(*, in_kind_cents: int, cash_cents: int) -> str:
    """The `nature` of a row of the SCDL subsidies file, one of the schema's enum values."""
    if in_kind_cents and cash_cents:
        return f"{IN_CASH};{IN_KIND}"
    return IN_KIND if in_kind_cents else IN_CASH
