"""The catalogue's cards (photo, capacity, price "à partir de" or "Gratuit", opening hours) and
the space page's opening hours and booking rules."""

from datetime import time

import pytest
from django.urls import reverse

from payments.models import Tariff
from payments.rules import OrganisationCategory, TariffUnit
from spaces.models import SpaceKind, Weekday
from tests.factories import OpeningHoursFactory, PhotoFactory, SiteFactory, SpaceFactory

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("spaces:catalogue")
NBSP = "\u00a0"


def _card(html: str, name: str) -> str:
    """The HTML of the card that names `name`."""
    start = html.index(f">{name}</a>")
    begin = html.rindex('<li class="card', 0, start)
    return html[begin : html.index("</li>", start)]


def _tariff(
    space, amount_cents: int, unit=TariffUnit.HOUR, category=OrganisationCategory.ASSOCIATION
):
    return Tariff.objects.create(
        space=space, category=category, unit=unit, amount_cents=amount_cents
    )


def test_a_card_shows_the_photo_with_its_description(client, site):
    space = SpaceFactory(site=site, name="Salle Usinor")
    PhotoFactory(site=site, space=space, alt_text="La salle, tables en U")

    card = _card(client.get(CATALOGUE).content.decode(), "Salle Usinor")

    assert 'alt="La salle, tables en U"' in card
    assert "card-photo-none" not in card


def test_a_card_without_photo_has_a_decorative_placeholder(client, site):
    SpaceFactory(site=site, name="Salle Usinor")

    card = _card(client.get(CATALOGUE).content.decode(), "Salle Usinor")

    assert '<div class="card-photo card-photo-none" aria-hidden="true"></div>' in card
    assert "<img" not in card


def test_a_card_gives_the_lowest_fee_with_its_unit(client, site):
    space = SpaceFactory(site=site, name="Salle Usinor")
    _tariff(space, 0, category=OrganisationCategory.COMMUNE_SERVICE)
    _tariff(space, 1250)
    _tariff(space, 8000, unit=TariffUnit.DAY)

    card = _card(client.get(CATALOGUE).content.decode(), "Salle Usinor")

    assert f"à partir de 12,50{NBSP}€ par heure" in card


def test_a_card_says_free_when_every_tariff_is_zero(client, site):
    space = SpaceFactory(site=site, name="Salle Usinor")
    _tariff(space, 0)

    card = _card(client.get(CATALOGUE).content.decode(), "Salle Usinor")

    assert "<dd>Gratuit</dd>" in card


def test_a_long_term_office_without_tariff_shows_no_price(client, site):
    SpaceFactory(
        site=site, name="Bureau 12", kind=SpaceKind.OFFICE, bookable=False, allocatable=True
    )

    card = _card(client.get(CATALOGUE).content.decode(), "Bureau 12")

    assert "Gratuit" not in card
    assert "Prix" not in card


def test_a_card_summarises_the_opening_hours(client, site):
    space = SpaceFactory(site=site, name="Salle Usinor")
    for day in range(5):
        OpeningHoursFactory(space=space, weekday=day, opens=time(9), closes=time(18))

    card = _card(client.get(CATALOGUE).content.decode(), "Salle Usinor")

    assert f"lun.–ven. 9{NBSP}h–18{NBSP}h" in card
    assert "Capacité" in card


def test_the_space_page_states_its_opening_hours_and_booking_rules(client, site):
    space = SpaceFactory(
        site=site,
        name="Salle Usinor",
        min_notice_hours=48,
        max_advance_days=90,
        min_booking_minutes=60,
        max_booking_minutes=240,
        buffer_minutes=30,
        deposit_cents=15000,
        instant_confirmation=False,
        allowed_organisation_kinds=["ess", "commune"],
    )
    OpeningHoursFactory(space=space, weekday=Weekday.TUESDAY, opens=time(9), closes=time(18))

    html = client.get(space.get_absolute_url()).content.decode()

    assert f"mar. 9{NBSP}h–18{NBSP}h" in html
    assert "Demandez au moins 2 jours à l’avance." in html
    assert "Jusqu’à 90 jours à l’avance." in html
    assert f"De 1{NBSP}h à 4{NBSP}h par réservation." in html
    assert f"30{NBSP}min restent libres" in html
    assert f"150{NBSP}€, bloquée sur votre carte" in html
    assert "Le gestionnaire valide chaque demande" in html
    assert "Commune" in html


def test_the_space_page_invites_visitors_to_sign_in_to_book(client, space):
    html = client.get(space.get_absolute_url()).content.decode()

    assert reverse("bookings:booking-create", args=[space.pk]) in html
    assert "Connectez-vous pour réserver." in html


def test_the_space_page_of_a_space_without_hours_says_any_time(client, space):
    html = client.get(space.get_absolute_url()).content.decode()

    assert "l’espace peut être demandé à toute heure" in html


@pytest.mark.parametrize("url", ["catalogue", "site"])
def test_a_card_spells_capacity_surface_use_and_vacancy(client, site, url):
    from datetime import date
    from decimal import Decimal

    SpaceFactory(
        site=site,
        name="Bureau",
        capacity=1,
        surface_m2=Decimal("12.50"),
        bookable=True,
        allocatable=True,
        vacant_since=date(2026, 3, 1),
    )
    SpaceFactory(
        site=site,
        name="Grande salle",
        capacity=120,
        surface_m2=Decimal("80.00"),
        bookable=False,
        allocatable=False,
    )
    address = CATALOGUE if url == "catalogue" else reverse("spaces:site-detail", args=[site.pk])

    html = client.get(address).content.decode()

    office, hall = _card(html, "Bureau"), _card(html, "Grande salle")
    assert "<dd>1 personne</dd>" in office
    assert "<dd>12,50 m²</dd>" in office
    assert "<dd>réservable, longue durée</dd>" in office
    assert '<p class="badge badge-vacant">Vacant depuis le 01/03/2026</p>' in office
    assert "<dd>120 personnes</dd>" in hall
    assert "<dd>80 m²</dd>" in hall
    assert "<dd>non proposé</dd>" in hall
    assert "badge-vacant" not in hall


def _listing(html: str) -> tuple[str, str, str]:
    """The count, the cards and the map's markers of a catalogue page."""
    count = html[html.index('<h2 id="results-title">') : html.index("</h2></div>")]
    cards = html[
        html.index('<ul class="card-list">') : html.index("</ul>", html.index("card-list"))
    ]
    markers = html[
        html.index('id="map-points"') : html.index("</script>", html.index("map-points"))
    ]
    return count, cards, markers


def test_the_compiled_catalogue_lists_what_its_queryset_lists(client, site, commune):
    """An anonymous visitor's unfiltered catalogue is read by queries compiled once (count,
    each page, map: spaces.views); a parameter that filters nothing sends the same request
    through the filter's queryset: the same count, cards (photos, hours, prices) and markers.
    A page of 9 cards reads its photos and hours with a list of 16 ids padded."""
    other = SiteFactory(commune=commune, name="Annexe", latitude=None, longitude=None)
    unpublished = SiteFactory(commune=commune, name="Pas encore", is_published=False)
    SpaceFactory(site=unpublished, name="Cachée")
    for number in range(33):
        space = SpaceFactory(site=site if number % 3 else other, name=f"Salle {number:02}")
        if number % 4 == 0:
            PhotoFactory(site=space.site, space=space, alt_text=f"Photo de la salle {number}")
        if number % 5 == 0:
            OpeningHoursFactory(space=space, weekday=number % 7, opens=time(9), closes=time(12))
        if number % 6 == 0:
            _tariff(space, 100 * number)

    for page in ("1", "2"):
        compiled = client.get(CATALOGUE, {"page": page}).content.decode()
        built = client.get(CATALOGUE, {"page": page, "unknown": "1"}).content.decode()

        assert _listing(compiled) == _listing(built)
    assert "Salle 32" in compiled
    assert "Cachée" not in compiled
    assert compiled.count('<li class="card space-card">') == 9
    assert compiled.count("<img") == 3  # Salles 20, 28 and 32
