"""Details of the French that tell people we care (issue 13)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext

from core.collation import french
from core.text import day_range, de, last_day, of_name, square_metres
from spaces.filters import SpaceFilter
from spaces.models import Commune
from tests.factories import CommuneFactory

PARIS = ZoneInfo("Europe/Paris")


def test_the_history_header_and_the_language_button_are_translated_apart():
    with translation.override("fr"):
        assert pgettext("history", "Change") == "Modification"
        assert gettext("Change") == "Changer"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Escaudain", "d’Escaudain"),
        ("Émerchicourt", "d’Émerchicourt"),
        ("Oisy", "d’Oisy"),
        ("Denain", "de Denain"),
        ("Hordain", "de Hordain"),  # a leading h may be aspirated: never elided
        ("Les Amis du vélo", "des Amis du vélo"),
        ("Le Relais", "du Relais"),
        ("La Ressourcerie", "de la Ressourcerie"),
        ("L’Atelier", "de l’Atelier"),
        ("L'Atelier", "de l’Atelier"),
        ("Lecelles", "de Lecelles"),
        ("Les", "de Les"),  # a name that is only an article stays whole
    ],
)
def test_de_elides_and_contracts_before_a_name(name, expected):
    assert de(name) == expected


def test_of_name_follows_the_active_language():
    with translation.override("en"):
        assert of_name("Les Amis") == "of Les Amis"
    with translation.override("fr"):
        assert of_name("Les Amis") == "des Amis"


def test_square_metres_uses_french_decimals_without_trailing_zeros():
    with translation.override("fr"):
        assert square_metres(Decimal("15.00")) == "15\u00a0m²"
        assert square_metres(Decimal("15.50")) == "15,5\u00a0m²"


@pytest.mark.django_db
def test_communes_are_sorted_the_french_way_on_either_database():
    for name in ("Hordain", "Hélesmes", "Haveluy", "Émerchicourt", "Escaudain", "Denain"):
        CommuneFactory(name=name)

    names = list(
        Commune.objects.filter(
            name__in=["Hordain", "Hélesmes", "Haveluy", "Émerchicourt", "Escaudain", "Denain"]
        )
        .order_by(french("name"))
        .values_list("name", flat=True)
    )

    assert names == ["Denain", "Émerchicourt", "Escaudain", "Haveluy", "Hélesmes", "Hordain"]


def test_the_catalogue_filter_lists_communes_the_french_way(db):
    for name in ("Hordain", "Hélesmes"):
        CommuneFactory(name=name)

    names = [c.name for c in SpaceFilter().filters["commune"].queryset]

    assert names.index("Hélesmes") < names.index("Hordain")


def test_a_one_day_closure_shows_its_day_only():
    start = datetime(2027, 1, 1, tzinfo=PARIS)

    with translation.override("fr"):
        one_day = day_range(start, start + timedelta(days=1))
        three_days = day_range(start, start + timedelta(days=3))
        evening = day_range(start.replace(hour=18), start.replace(hour=22))

    assert one_day == "1 janvier"
    assert three_days == "1 janvier–3 janvier"
    assert evening == "1 janvier"


def test_last_day_of_an_agreement_is_the_day_before_its_exclusive_end():
    assert last_day(date(2030, 4, 1)) == date(2030, 3, 31)
