"""Managers set a space's tariff grid; the public sees it on the space page."""

import pytest
from django.urls import reverse

from payments.models import Tariff
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.tariffs import tariff_set


def _cell(category: str, unit: str) -> str:
    return f"{category}__{unit}"


@pytest.fixture
def url(space) -> str:
    return reverse("payments:space-tariffs", args=[space.pk])


def test_manager_sets_prices_free_use_and_removes_a_tariff(client, space, facilities_manager, url):
    tariff_set(
        space=space, category="other", unit="day", amount_cents=9000, actor=facilities_manager
    )
    client.force_login(facilities_manager)
    response = client.post(
        url,
        {
            _cell("association", "hour"): "12,50",
            _cell("association", "day"): "60",
            _cell("commune_service", "hour"): "0",
            _cell("other", "day"): "",
        },
    )
    assert response.status_code == 302
    assert {(t.category, t.unit): t.amount_cents for t in Tariff.objects.filter(space=space)} == {
        ("association", "hour"): 1250,
        ("association", "day"): 6000,
        ("commune_service", "hour"): 0,
    }


@pytest.mark.parametrize("bad", ["-3", "100000,01", "douze"])
def test_a_bad_cell_saves_nothing_and_names_the_cell(client, space, facilities_manager, url, bad):
    tariff_set(
        space=space,
        category="association",
        unit="hour",
        amount_cents=1000,
        actor=facilities_manager,
    )
    client.force_login(facilities_manager)
    response = client.post(
        url, {_cell("association", "hour"): "15", _cell("ess_company", "day"): bad}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="#id_{_cell("ess_company", "day")}"' in page
    assert f'id="id_{_cell("ess_company", "day")}"' in page
    assert {(t.category, t.unit): t.amount_cents for t in Tariff.objects.filter(space=space)} == {
        ("association", "hour"): 1000
    }


def test_a_cell_for_an_unknown_category_is_ignored(client, space, facilities_manager, url):
    client.force_login(facilities_manager)
    client.post(url, {_cell("club", "hour"): "5", _cell("association", "week"): "5"})
    assert not Tariff.objects.filter(space=space).exists()


def test_only_managers_of_the_space_edit_its_tariffs(client, space, member, url):
    client.force_login(member)
    assert client.get(url).status_code == 404
    assert client.post(url, {_cell("association", "hour"): "1"}).status_code == 404
    assert not Tariff.objects.filter(space=space).exists()


def test_every_cell_has_a_label(client, space, facilities_manager, url):
    client.force_login(facilities_manager)
    page = client.get(url).content.decode()
    for category in OrganisationCategory:
        for unit in TariffUnit:
            assert f'<label for="id_{_cell(category.value, unit.value)}"' in page


def test_the_space_page_shows_the_price_list(client, space, territory_admin):
    tariff_set(
        space=space, category="association", unit="hour", amount_cents=1250, actor=territory_admin
    )
    tariff_set(
        space=space, category="commune_service", unit="hour", amount_cents=0, actor=territory_admin
    )
    page = client.get(space.get_absolute_url()).content.decode()
    assert "12,50 €" in page
    assert "Gratuit" in page
    assert "par heure" in page
