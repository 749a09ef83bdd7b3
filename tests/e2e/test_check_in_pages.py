"""Check-in pages in a real browser, on a phone (390 px): the manager's setting, the door
poster (its QR code drawn, with its text alternative) and the site's no-shows (the demo's one
no-show listed); the member's door page. None wider than the screen, no serious axe violation,
nothing blocked by the Content-Security-Policy."""

from playwright.sync_api import Page, expect

from bookings.models import CheckInSetting
from portal import demo
from spaces.models import Space
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)


def test_the_check_in_pages_fit_a_phone(page: Page, live_server, demo_territory, browser_log):
    space = Space.objects.get(name=demo.CHECK_IN["space"], site__name=demo.CHECK_IN["site"])
    token = CheckInSetting.objects.get(space=space).token
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, demo.CHECK_IN["manager"])

    page.goto(f"{live_server.url}/reservations/espaces/{space.pk}/pointage/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pointage")
    _fits(page)
    page.get_by_role("link", name="Affiche à imprimer pour la porte (QR code et lien)").click()
    qr = page.get_by_role("img", name="QR code menant à la page d’arrivée de cette salle")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 0  # drawn, not blocked by the CSP
    expect(page.locator("code")).to_contain_text(f"/reservations/arrivee/{token}/")
    _fits(page)
    page.goto(f"{live_server.url}/reservations/absences/site/{space.site_id}/")
    expect(page.locator("main table").first).to_contain_text("Mobilité Solidaire Hainaut")
    _fits(page)

    page.context.clear_cookies()
    sign_in(page, live_server, demo.CHECK_IN["member"])
    page.goto(f"{live_server.url}/reservations/arrivee/{token}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(space.name)
    _fits(page)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
