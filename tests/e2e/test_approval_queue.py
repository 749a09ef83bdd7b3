"""The approval queue in a real browser: the demo's facilities manager filters the requests of
their building, ticks them all with "Tout sélectionner" and approves them in one go; the filter is
still applied afterwards. At 390 px the table's rows are cards and the page is no wider than
the screen; axe finds nothing serious. "My bookings" of the association, too, at 390 px.

French wording comes from locale/fr/LC_MESSAGES/django.po.
"""

import pytest
from playwright.sync_api import Page, expect

from bookings.models import Booking, BookingStatus
from tests.e2e.test_booking_journey import (
    GRANDS_BUREAUX,
    assert_no_serious_axe_violations,
    sign_in,
    sign_out,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo's requests awaiting the manager's decision in the building (portal/demo.py BOOKINGS,
# and the request that takes equipment, EQUIPMENT_BOOKING, issue 16).
PENDING = [
    "Assemblée générale (démo)",
    "Atelier cuisine solidaire (démo)",
    "Forum des bénévoles (démo)",
    "Atelier réparation de vélos (démo)",  # moved by the facilities manager (issue 16)
]


def assert_fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_manager_filters_selects_all_and_approves(
    page: Page, live_server, demo_territory, browser_log
):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "gestionnaire@demo.test")
    page.goto(f"{live_server.url}/reservations/a-traiter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes à traiter")

    page.get_by_label("Site", exact=True).select_option(label=GRANDS_BUREAUX)
    with page.expect_navigation():
        page.get_by_role("button", name="Appliquer les filtres").click()
    assert "site=" in page.url
    table = page.get_by_role("table", name="Demandes en attente de votre décision")
    for purpose in PENDING:
        expect(table.get_by_role("link", name=purpose, exact=True)).to_be_visible()
    expect(table.get_by_text("vérifiée", exact=True).first).to_be_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Tout sélectionner").click()  # in place, by queue.js
    expect(page.get_by_role("button", name="Tout désélectionner")).to_be_visible()
    for purpose in PENDING:
        expect(page.get_by_label(f"Sélectionner\u00a0«\u00a0{purpose}\u00a0»")).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter les demandes sélectionnées").click()

    expect(page.locator(".messages")).to_contain_text(f"{len(PENDING)} demandes acceptées.")
    assert "site=" in page.url  # the filter is kept
    expect(page.get_by_text("Aucune demande ne correspond à ces filtres.")).to_be_visible()
    assert set(Booking.objects.filter(purpose__in=PENDING).values_list("status", flat=True)) == {
        BookingStatus.CONFIRMED
    }
    assert browser_log["page_errors"] == []
    assert browser_log["console_errors"] == []
    assert browser_log["foreign_requests"] == []


def test_queue_and_my_bookings_fit_a_phone(page: Page, live_server, demo_territory, browser_log):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "gestionnaire@demo.test")
    page.goto(f"{live_server.url}/reservations/a-traiter/")
    expect(page.get_by_role("link", name=PENDING[0], exact=True)).to_be_visible()
    assert_fits(page, 390)
    approve = page.get_by_role("button", name=f"Accepter «\u00a0{PENDING[0]}\u00a0»")
    box = approve.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    assert box["width"] >= 44
    assert_no_serious_axe_violations(page)
    sign_out(page)

    sign_in(page, live_server, "asso@demo.test")
    page.goto(f"{live_server.url}/reservations/")
    expect(page.get_by_role("heading", name="À venir")).to_be_visible()
    assert_fits(page, 390)
    assert_no_serious_axe_violations(page)
    assert browser_log["page_errors"] == []
    assert browser_log["console_errors"] == []
