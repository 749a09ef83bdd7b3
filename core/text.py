"""French text helpers: the preposition "de" before a name, with its elision and contractions."""

from django.utils import translation

VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüœæ")
APOSTROPHES = ("'", "’")


def de(name: str) -> str:
    """French "de" before a name: "d’Escaudain", "des Amis du vélo" (de + les), "du Relais"
    (de + le), "de la Ressourcerie", "de l’Atelier", "de Denain".

    A name starting with a vowel is elided ("d’Escaudain", "d’Emmaüs"); a leading "h" is not
    (it may be aspirated: "de Hordain", "de Haveluy"), nor is anything else.
    """
    name = name.strip()
    first, _, rest = name.partition(" ")
    article = first.lower()
    if rest and article == "les":
        return f"des {rest}"
    if rest and article == "le":
        return f"du {rest}"
    if rest and article == "la":
        return f"de la {rest}"
    if len(name) > 2 and name[0] in "lL" and name[1] in APOSTROPHES:
        return f"de l’{name[2:]}"
    if name[:1].lower() in VOWELS:
        return f"d’{name}"
    return f"de {name}"


def of_name(name: str) -> str:
    """`name` after the preposition of the active language: de(name) in French, "of …" else."""
    if (translation.get_language() or "").startswith("fr"):
        return de(name)
    return f"of {name}"


def square_metres(value) -> str:
    """A surface as people read it in the active language: "15,5 m²" in French (no trailing
    zeros, the decimal comma, a non-breaking space before the unit), "15.5 m²" in English."""
    from decimal import Decimal

    from django.utils.formats import number_format

    return f"{number_format(Decimal(value).normalize())}\u00a0m²"


def last_day(end):
    """The last day a period with an exclusive `end` covers, as people say it: a period ending
    at local midnight ends the day before ([1 Jan 00:00, 2 Jan 00:00) is "1 Jan" only)."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    if isinstance(end, datetime):
        local = timezone.localtime(end) if timezone.is_aware(end) else end
        if local.hour == local.minute == local.second == local.microsecond == 0:
            return (local - timedelta(days=1)).date()
        return local.date()
    return end - timedelta(days=1)  # a date: the day after the last one


def day_range(start, end, *, pattern: str = "j F") -> str:
    """ "1 janvier" for a one-day period, "1 janvier–3 janvier" for longer ones; `end` is
    exclusive. The month in full: the abbreviation of "j b" says "jui" for June and July."""
    from datetime import datetime

    from django.utils import timezone
    from django.utils.formats import date_format

    first = start
    if isinstance(start, datetime):
        first = (timezone.localtime(start) if timezone.is_aware(start) else start).date()
    last = max(last_day(end), first)
    if last == first:
        return date_format(first, pattern)
    return f"{date_format(first, pattern)}–{date_format(last, pattern)}"
