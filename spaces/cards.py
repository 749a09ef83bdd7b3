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
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format, localize
from django.utils.translation import gettext, ngettext

from core.compiled import CompiledQuery
from core.links import url_of
from spaces.models import OpeningHours, Photo, Space
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
    """`spaces` with what the registered facts need (annotations); `cards_prepare` reads the
    photos and the opening hours of the listed spaces (a query each)."""
    for fact in _registry.values():
        spaces = fact.annotate(spaces)
    # A card shows the first photo and the opening hours, not the equipment: the list's
    # prefetches are dropped (cards_prepare reads the two as values).
    return spaces.prefetch_related(None)


def _photos(ids) -> QuerySet:
    return (
        Photo.objects.filter(space_id__in=ids)
        .order_by("position", "pk")
        .values("space_id", "image", "alt_text")
    )


def _hours(ids) -> QuerySet:
    # The model's order (weekday, opens), as the prefetch of `space.opening_hours` had it.
    return OpeningHours.objects.filter(space_id__in=ids).values(
        "space_id", "weekday", "opens", "closes"
    )


# A list of ids changes the SQL with its length: the two queries are compiled once per process
# for lists of 8, 16, 32… ids (core.compiled), a shorter list padded with its first id (which
# an IN list ignores). Beyond 1,024 (the availability search on a large territory) they are
# built each time.
_BUCKETS: dict[tuple[str, int], CompiledQuery] = {}
_LARGEST_BUCKET = 1024


def _rows_of(build, ids: list[int]) -> list[dict]:
    size = max(8, 1 << (len(ids) - 1).bit_length())
    if size > _LARGEST_BUCKET:
        return list(build(ids))
    query = _BUCKETS.get((build.__name__, size))
    if query is None:
        names = [f"id{index}" for index in range(size)]
        query = _BUCKETS[build.__name__, size] = CompiledQuery(
            lambda **ids: build([ids[name] for name in names]), **dict.fromkeys(names, int)
        )
    padded = ids + [ids[0]] * (size - len(ids))
    return query.run(**{f"id{index}": pk for index, pk in enumerate(padded)})


def card_facts(space: Space) -> list[tuple[str, str]]:
    """(term, text) of each registered fact that has something to say about `space`."""
    facts = []
    for fact in _registry.values():
        text = fact.describe(space)
        if text:
            facts.append((fact.term(), text))
    return facts


def cards_prepare(spaces: Iterable[Space]) -> None:
    """Give each space of a page what its card shows beyond its fields: `hours_summary`,
    `facts`, `card_photo_url` and `card_photo_alt` (its first photo, or "" when it has none),
    `card_hours` and the texts of `cards_texts`. Two queries (photos, opening hours), none for
    an empty page."""
    spaces = list(spaces)
    if not spaces:
        return
    cards_texts(spaces)
    ids = [space.pk for space in spaces]
    first_photo: dict[int, dict] = {}
    for row in _rows_of(_photos, ids):
        first_photo.setdefault(row["space_id"], row)
    hours_of: dict[int, list] = {}
    for row in _rows_of(_hours, ids):
        hours_of.setdefault(row["space_id"], []).append(
            (row["weekday"], row["opens"], row["closes"])
        )
    storage = Photo._meta.get_field("image").storage
    any_time = gettext("any time")
    for space in spaces:
        space.hours_summary = opening_hours_summary(hours_of.get(space.pk, ()))
        space.facts = card_facts(space)
        space.card_ready = True
        photo = first_photo.get(space.pk)
        # What `{{ photo.image.url }}` gave (the field's storage).
        space.card_photo_url = storage.url(photo["image"]) if photo else ""
        space.card_photo_alt = photo["alt_text"] if photo else ""
        space.card_hours = " ; ".join(space.hours_summary) if space.hours_summary else any_time


def cards_texts(spaces: Iterable[Space]) -> None:
    """The texts of the cards of `spaces` from their own fields, spelled here once
    (`card_capacity`, `card_surface`, `card_use`, `card_vacant`), not by a template filter or
    a `blocktranslate` per card: the availability search lists hundreds of cards on a page),
    its kind and place (`card_kind`, `card_meta`: site — commune) and its link (`card_url`,
    one `reverse()` for all)."""
    url = url_of("spaces:space-detail")
    for space in spaces:
        space.card_url = url(space.pk)
        space.card_kind = str(space.get_kind_display())
        site = space.site
        space.card_meta = f"{site.name} — {site.commune.name}"
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
