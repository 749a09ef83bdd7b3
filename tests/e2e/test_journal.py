"""The journal of changes in a real browser: the intercommunality administrator finds it from
the dashboard, filters it, and axe finds no serious accessibility violation."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_administrator_reads_and_filters_the_journal_of_changes(
    page: Page, live_server, demo_territory, browser_log
):
    sign_in(page, live_server, "admin@demo.test")
    page.goto(f"{live_server.url}/tableau-de-bord/")

    page.get_by_role("link", name="Ouvrir le journal des modifications").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Journal des modifications")
    expect(page.locator("caption")).to_contain_text("modifications")
    assert_no_serious_axe_violations(page)
    page.get_by_label("Afficher").select_option(label="Tarifs")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("tbody th[scope=row]").first).to_contain_text("Tarifs")
    assert_no_serious_axe_violations(page)
    assert browser_log["foreign_requests"] == []
    assert browser_log["page_errors"] == []


def test_the_journal_fits_a_phone(page: Page, live_server, demo_territory):
    """The wide table scrolls inside its box; the page itself stays 390 px wide (the visually
    hidden "becomes" of each change, absolutely positioned, once widened it to 700 px)."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "admin@demo.test")

    page.goto(f"{live_server.url}/rapports/journal/")

    expect(page.locator("table.journal")).to_be_visible()
    assert page.locator("table.journal .visually-hidden").count() > 0  # the case that widened it
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
