"""Several rooms at once in a real browser, on a phone (390 px): the demo's hall and kitchen
request shows both rooms on each booking's page, with a link to the other and to the group's
page (which fits the screen too); the request page
of the hall offers the building's other rooms as labelled checkboxes that fit the screen; no
serious axe violation, nothing blocked by the CSP."""

from playwright.sync_api import Page, expect

from bookings.models import BookingGroup
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in

PHONE = {"width": 390, "height": 844}


def test_the_group_and_the_other_rooms_fit_a_phone(
    page: Page, live_server, demo_territory, browser_log
):
    group = BookingGroup.objects.get()
    hall, kitchen = group.bookings.order_by("pk")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "asso@demo.test")

    page.goto(f"{live_server.url}{hall.get_absolute_url()}")
    section = page.locator(".booking-group")
    expect(section.get_by_role("heading", level=2)).to_contain_text("2 salles")
    section.get_by_role("link", name=kitchen.space.name).click()
    expect(page).to_have_url(f"{live_server.url}{kitchen.get_absolute_url()}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)

    # The group's page: both rooms, and cancelling them all with one reason.
    page.get_by_role("link", name="Voir la demande entière").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandées ensemble : 2 salles")
    expect(page.get_by_role("link", name=hall.space.name)).to_be_visible()
    expect(page.get_by_label("Motif")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)

    page.goto(f"{live_server.url}/reservations/nouvelle/{hall.space_id}/")
    rooms = page.get_by_role("group", name="Autres salles de ce bâtiment, au même moment")
    office = rooms.get_by_role("checkbox", name=kitchen.space.name)
    expect(office).to_be_visible()
    box = office.bounding_box()
    assert box["width"] >= 24, box
    assert box["height"] >= 24, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
