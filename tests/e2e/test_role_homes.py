"""Each role's home on the demo territory, at desktop and phone widths, in a real browser.

Signs in as each demo account (portal/demo.py), opens "/" (the dashboard once signed in), and
checks that the page is no wider than the window, that axe finds nothing serious or critical,
and that the menu holds the role's own entries; on a phone the menu is a closed disclosure that
opens. A screenshot of each home is saved to test-artifacts/homes/<role>-<width>.png (issue 13:
"screenshots of each role's home saved by the suite as artefacts").
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "homes"
WIDTHS = {1366: 900, 390: 844}
# role: (demo account or None for the public, a heading of its home, a menu entry of its own)
ROLES = {
    "association": ("asso@demo.test", "Mes prochaines réservations", "Paiements"),
    "manager": ("gestionnaire@demo.test", "Demandes à traiter", "Mes sites et calendriers"),
    "commune": ("commune@demo.test", "Espaces vacants", "Mes locaux"),
    "intercommunality": ("admin@demo.test", "Structures à vérifier", "Journal"),
    "public": (None, "Un créneau libre", "Trouver un créneau libre"),
}


def _check_home(page: Page, role: str, width: int, heading: str, entry: str) -> None:
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    page.goto(page.url.split("#")[0])
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
    too_wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not too_wide, f"{role} at {width} px: the page is wider than the window"
    assert_no_serious_axe_violations(page)
    menu = page.get_by_role("navigation", name="Menu principal")
    link = menu.get_by_role("link", name=entry).first
    if width < 768:
        expect(link).to_be_hidden()  # the disclosure starts closed on a phone
        toggle = menu.locator("summary")
        box = toggle.bounding_box()
        assert box is not None
        assert box["height"] >= 44, f"{role}: the Menu button is under 44 px high"
        page.screenshot(path=str(ARTIFACTS / f"{role}-{width}.png"), full_page=True)
        toggle.click()
        expect(link).to_be_visible()
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    else:
        expect(link).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"{role}-{width}.png"), full_page=True)


def test_each_role_lands_on_its_own_home(page: Page, live_server, demo_territory, browser_log):
    page.set_default_timeout(10_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for role, (email, heading, entry) in ROLES.items():
        page.context.clear_cookies()
        if email:
            page.set_viewport_size({"width": 1366, "height": 900})
            sign_in(page, live_server, email)
        page.goto(f"{live_server.url}/")
        for width in WIDTHS:
            _check_home(page, role, width, heading, entry)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
