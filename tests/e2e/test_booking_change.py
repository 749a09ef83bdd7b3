"""Changing a booking (issue 16) in a real browser, on a phone (390 px): the demo's moved
booking shows its history, its "Modifier" page has labelled fields, an error in French linked
to its field, fits the width, and saves a change; no serious axe violation."""

from playwright.sync_api import Page, expect

from bookings.models import Booking
from portal import demo
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in


def test_the_change_page_fits_a_phone_and_saves_a_change(
    page: Page, live_server, demo_territory, browser_log
):
    booking = Booking.objects.get(purpose=demo.MOVED_BOOKING[2])
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "asso@demo.test")

    page.goto(f"{live_server.url}{booking.get_absolute_url()}")
    expect(page.locator("table")).to_contain_text("Horaire :")
    page.get_by_role("link", name="Modifier", exact=True).click()
    page.get_by_label("Nombre de participants").fill("300")
    page.get_by_role("button", name="Enregistrer la modification").click()
    expect(page.locator(".error-summary")).to_contain_text("au maximum")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)

    page.get_by_label("Nombre de participants").fill("7")
    page.get_by_role("button", name="Enregistrer la modification").click()
    expect(page.locator("table")).to_contain_text("Participants : 6 → 7")
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
