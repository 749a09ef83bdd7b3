"""A visitor finds a step-free room for ten people in Denain, in a real browser.

The data is the demo territory (portal/demo.py), loaded with `seed_demo`. Wording is checked
loosely (French by default, English while a message is untranslated); elements are found by
id, name and role.
"""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# portal/demo.py, Denain (59172): the spaces for 10 people or more that are reachable without a
# step (step-free entrance, and ground floor or a lift), in catalogue order (site, floor, name).
DENAIN_STEP_FREE_10 = [
    "Atelier textile",  # Les Grands Bureaux, ground floor, 15 people
    "Salle du Haut-Fourneau",  # Les Grands Bureaux, ground floor, 40 people
    "Salle de la Coulée",  # Les Grands Bureaux, 1st floor (lift), 14 people
    "Grande salle",  # Salle des fêtes Jean-Jaurès, ground floor, 350 people
]
# Denain spaces the filters must leave out: fewer than 10 people.
DENAIN_TOO_SMALL = ["Bureau 101", "Cuisine partagée", "Office", "Réserve sous-sol"]
GRANDS_BUREAUX = "Les Grands Bureaux — pôle ESS (démo)"
SALLE_DES_FETES = "Salle des fêtes Jean-Jaurès (démo)"
YES = {"oui", "yes"}

_axe = Axe()


def assert_no_serious_axe_violations(page: Page) -> None:
    results = _axe.run(page)
    serious = [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe on {page.url}: {serious}\n{results.generate_report()}"


def definition_rows(page: Page, heading: re.Pattern) -> list[tuple[str, str]]:
    """The (term, value) pairs of the description list right after an h2."""
    section = page.get_by_role("heading", level=2, name=heading)
    rows = section.locator("xpath=following-sibling::dl[1]/div")
    return [
        (row.locator("dt").inner_text().strip(), row.locator("dd").inner_text().strip())
        for row in rows.all()
    ]


def test_find_a_step_free_room_in_denain(page: Page, live_server, demo_territory, browser_log):
    page.set_default_timeout(5_000)

    # --- The catalogue, in French, with its map drawn by the vendored Leaflet.
    page.goto(f"{live_server.url}/espaces/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Locaux disponibles sur le territoire|Premises available on the territory")
    )
    leaflet_src = page.locator("script[src*='leaflet']").get_attribute("src")
    assert leaflet_src == "/static/vendor/leaflet/leaflet.js"
    expect(page.locator("link[href='/static/vendor/leaflet/leaflet.css']")).to_have_count(1)
    expect(page.locator("#map.leaflet-container")).to_be_visible()
    points = json.loads(page.locator("#map-points").text_content())
    site_names = {point["name"] for point in points}
    assert {GRANDS_BUREAUX, SALLE_DES_FETES} <= site_names
    markers = page.locator("#map .leaflet-marker-icon")
    expect(markers).to_have_count(len(points))
    assert {marker.get_attribute("title") for marker in markers.all()} == site_names
    assert_no_serious_axe_violations(page)

    # --- The filters, with the keyboard: type-ahead in the select, type the number, Enter.
    commune = page.locator("#id_commune")
    commune.focus()
    page.keyboard.type("Denain")
    expect(commune.locator("option:checked")).to_have_text("Denain")
    page.locator("label[for='id_step_free']").click()  # the label ticks its checkbox
    expect(page.locator("#id_step_free")).to_be_checked()
    page.locator("#id_capacity_min").focus()
    page.keyboard.type("10")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    query = parse_qs(urlsplit(page.url).query)
    assert query["capacity_min"] == ["10"]
    assert query["step_free"] == ["on"]
    assert query["commune"] == [commune.input_value()]
    # The form shows what was asked for.
    expect(commune.locator("option:checked")).to_have_text("Denain")
    expect(page.locator("#id_step_free")).to_be_checked()
    expect(page.locator("#id_capacity_min")).to_have_value("10")

    # --- Only Denain's step-free spaces for 10 people or more, and only their sites on the map.
    expect(page.locator("#results-title")).to_contain_text(str(len(DENAIN_STEP_FREE_10)))
    cards = page.locator(".results .card")
    expect(cards.locator(".card-title")).to_have_text(DENAIN_STEP_FREE_10)
    for card in cards.all():
        expect(card.locator(".card-meta")).to_have_text(re.compile(r"— Denain$"))
    results_text = page.locator(".results").inner_text()
    for name in DENAIN_TOO_SMALL:
        assert name not in results_text
    expect(page.locator("#map .leaflet-marker-icon")).to_have_count(2)
    titles = {m.get_attribute("title") for m in page.locator("#map .leaflet-marker-icon").all()}
    assert titles == {GRANDS_BUREAUX, SALLE_DES_FETES}

    # --- A space, opened from the list with the keyboard.
    page.get_by_role("link", name="Salle du Haut-Fourneau", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/espaces/\d+/", page.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Salle du Haut-Fourneau")
    expect(page.locator(".address")).to_contain_text(GRANDS_BUREAUX)
    expect(page.locator(".address")).to_contain_text("Denain")

    equipment = page.get_by_role("heading", level=2, name=re.compile(r"Équipements|Equipment"))
    expect(equipment).to_be_visible()
    expect(equipment.locator("xpath=following-sibling::ul[1]/li")).to_have_text(
        ["Boucle magnétique", "Tables et chaises", "Vidéoprojecteur", "Wi-Fi"]
    )

    access = definition_rows(page, re.compile(r"Accessibilité|Accessibility"))
    assert len(access) == 8, access
    # The Grands Bureaux declare every facility; the room is on the ground floor.
    values = [value for _term, value in access]
    assert values[0] in YES, access  # step-free access to this space
    assert values[2] == "120 cm", access  # entrance door width
    assert all(value in YES for i, value in enumerate(values) if i != 2), access
    assert_no_serious_axe_violations(page)

    # --- Its site, from the breadcrumb: the site's spaces and its photo (served, described).
    page.get_by_role("navigation", name=re.compile(r"Fil d.Ariane|Breadcrumb")).get_by_role(
        "link", name=GRANDS_BUREAUX
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(GRANDS_BUREAUX)
    expect(page.locator(".card-title")).to_contain_text(["Salle du Haut-Fourneau"])
    photo = page.locator(".photo-list img").first
    expect(photo).to_have_attribute("alt", re.compile(re.escape(GRANDS_BUREAUX)))
    photo.scroll_into_view_if_needed()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalWidth") > 0
    assert_no_serious_axe_violations(page)

    # --- Nothing broke and nothing left the server.
    assert browser_log["page_errors"] == []
    # Chromium asks for /favicon.ico by itself; the site has none (a 404, not a page defect).
    console_errors = [e for e in browser_log["console_errors"] if "/favicon.ico" not in e]
    assert console_errors == []
    assert browser_log["foreign_requests"] == []
    assert any("/static/vendor/leaflet/leaflet.js" in url for url in browser_log["requests"])


def test_catalogue_cards_fit_a_phone(page: Page, live_server, demo_territory, browser_log):
    """At 390 px the catalogue's cards (photo or placeholder, price, hours) stay within the
    screen, and axe finds nothing serious."""
    page.set_default_timeout(5_000)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/espaces/")

    cards = page.locator(".card-list .space-card")
    expect(cards.first).to_be_visible()
    expect(cards.first.locator(".card-photo")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
