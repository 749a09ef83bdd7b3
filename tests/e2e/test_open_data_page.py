"""The open-data index (/donnees/) fits a phone and passes axe, as every page of the site."""

import pytest
from playwright.sync_api import Page

from tests.e2e.test_phone_widths import DESK, PHONE, check_page
from tests.factories import CommuneFactory, EpciFactory, SiteFactory, SpaceFactory


@pytest.mark.django_db(transaction=True)
def test_the_open_data_page_fits_a_phone_and_passes_axe(page: Page, live_server):
    commune = CommuneFactory(insee_code="59172", name="Denain", epci=EpciFactory())
    SpaceFactory(site=SiteFactory(commune=commune, name="Les Grands Bureaux"))
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/donnees/")

    assert check_page(page, "open data", PHONE) + check_page(page, "open data", DESK) == []
