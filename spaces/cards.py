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

from django.db.models import Prefetch, QuerySet
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format, localize
from django.utils.translation import gettext, ngettext

from core.links import url_of
from spaces.models import Photo, Space
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
    """`spaces` with what their cards show beyond a list's fields: the photos and the opening
    hours (a prefetch query each) and what the registered facts need (annotations)."""
    for fact in _registry.values():
        spaces = fact.annotate(spaces)
    # A card shows the first photo and the opening hours, not the equipment: the list's other
    # prefetches are dropped, and these two land in plain lists (`to_attr`), without a
    # queryset built per space and relation.
    return spaces.prefetch_related(None).prefetch_related(
        Prefetch(
            "photos", queryset=Photo.objects.order_by("position", "pk"), to_attr="card_photos"
        ),
        Prefetch("opening_hours", to_attr="card_opening_hours"),
    )


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
    brought (prefetched photos and opening hours, annotations): `hours_summary`, `facts`,
    `card_photo`, `card_hours` and the texts of `cards_texts`. No query."""
    spaces = list(spaces)
    cards_texts(spaces)
    any_time = gettext("any time")
    for space in spaces:
        space.hours_summary = opening_hours_summary(
            (hours.weekday, hours.opens, hours.closes) for hours in space.card_opening_hours
        )
        space.facts = card_facts(space)
        space.card_ready = True
        space.card_photo = space.card_photos[0] if space.card_photos else None
        space.card_hours = " ; ".join(space.hours_summary) if space.hours_summary else any_time


def cards_texts(spaces: Iterable[Space]) -> None:
    """The texts of the cards of `spaces` from their own fields, spelled here once
    (`card_capacity`, `card_surface`, `card_use`, `card_vacant`), not by a template filter or
    a `blocktranslate` per card: the availability search lists hundreds of cards on a page),
    and its link (`card_url`, one `reverse()` for all)."""
    url = url_of("spaces:space-detail")
    for space in spaces:
        space.card_url = url(space.pk)
        space.card_capacity = ngettext(
            "%(counter)s person", "%(counter)s people", space.capacity
        ) % {"counter": localize(space.capacity)}
        space.card_surface = floatformat(space.surface_m2, "-2")
        space.card_use = _use_text(space)
        space.card_vacant = (
            gettext("Vacant since %(date)s")
            % {"date": date_format(space.vacant_since, "SHORT_DATE_FORMAT")}
            if space.vacant_since is not None
            else ""
        )


def _use_text(space: Space) -> str:
    """ "réservable", "longue durée", both, or "non proposé"."""
    uses = [
        text
        for offered, text in (
            (space.bookable, gettext("bookable")),
            (space.allocatable, gettext("long-term")),
        )
        if offered
    ]
    return ", ".join(uses) if uses else gettext("not offered")
