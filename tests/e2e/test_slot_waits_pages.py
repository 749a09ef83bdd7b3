"""Waiting for a slot in a real browser, on a phone (390 px): the demo's waiting structure sees
its place in line, the building's manager sees the line with its name; nothing wider than the
screen, no serious axe violation, nothing blocked by the CSP (issue 16)."""

from playwright.sync_api import Page, expect

from bookings.models import SlotWait
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in, sign_out


def test_the_waits_and_the_line_fit_a_phone(page: Page, live_server, demo_territory, browser_log):
    wait = SlotWait.objects.select_related("organisation").get()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "insertion@demo.test")

    page.goto(f"{live_server.url}/reservations/")
    page.get_by_role("link", name="Créneaux attendus par mes structures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créneaux attendus")
    expect(page.locator(f"#attente-{wait.pk}")).to_contain_text(
        "Votre structure est la première de la file."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
    sign_out(page)

    sign_in(page, live_server, "gestionnaire@demo.test")
    page.goto(f"{live_server.url}/reservations/espaces/{wait.space_id}/attentes/")
    expect(page.locator("table")).to_contain_text(wait.organisation.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
