"""Facts a higher app adds to the catalogue's space cards, without spaces importing it.

The catalogue (and the availability search, which lists the same cards) is one query for a
page of spaces. An app above spaces that has something to say on every card (payments: the
price "à partir de 12 €" or "Gratuit") registers, in its `AppConfig.ready`, a `CardFact`:
`annotate` adds what it needs to the spaces' queryset (annotations, subqueries: no query of its
own), and `describe` turns one annotated space into the short text of the card, or None. So the
number of queries of a page does not grow with its cards (tests/test_query_counts.py).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from spaces.models import Space
from spaces.rules import opening_hours_summary


@dataclass(frozen=True)
class CardFact:
    """One line of a card: its term ("Prix") and how to read it from an annotated space."""

    key: str
    term: Callable[[], str]
    annotate: Callable[[QuerySet[Space]], QuerySet[Space]]
    describe: Callable[[Space], str | None]  # must not query the database


_registry: dict[str, CardFact] = {}


def register(fact: CardFact) -> None:
    """Show `fact` on every card (registering the same key again replaces it)."""
    _registry[fact.key] = fact


def for_cards(spaces: QuerySet[Space]) -> QuerySet[Space]:
    """`spaces` with what their cards show beyond a list's fields: the opening hours (one
    prefetch query) and what the registered facts need (annotations)."""
    for fact in _registry.values():
        spaces = fact.annotate(spaces)
    return spaces.prefetch_related("opening_hours")


def card_facts(space: Space) -> list[tuple[str, str]]:
    """(term, text) of each registered fact that has something to say about `space`."""
    facts = []
    for fact in _registry.values():
        text = fact.describe(space)
        if text:
            facts.append((fact.term(), text))
    return facts


def cards_prepare(spaces: Iterable[Space]) -> None:
    """Give each space of a page what its card shows beyond its fields, from what `for_cards`
    brought (prefetched opening hours, annotations): `hours_summary` and `facts`. No query."""
    for space in spaces:
        space.hours_summary = opening_hours_summary(
            (hours.weekday, hours.opens, hours.closes) for hours in space.opening_hours.all()
        )
        space.facts = card_facts(space)
        space.card_ready = True
