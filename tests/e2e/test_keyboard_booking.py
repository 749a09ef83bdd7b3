"""A booking made with the keyboard alone, from the availability search to the request sent.

RGAA 7.3 / WCAG 2.1.1: everything is reachable and usable with the keyboard; RGAA 10.7 /
WCAG 2.4.7: the focus is visible. The test never clicks: it presses Tab (and Enter) and types
into the focused field, the way a keyboard user does, and at every Tab stop checks that the
focused element shows an outline or a box shadow. A date field's order of day and month follows
the browser's own language (not the page's): `type_date` types day first, and month first if
the field did not take it.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from bookings.models import Booking
from spaces.models import Space
from tests.e2e.test_booking_journey import GRANDS_BUREAUX, SPACE, journey_days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURPOSE = "Réunion préparée au clavier"
MAX_TABS = 120

FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const name = `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}> `
    + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40);
  return {visible: outline || shadow, name};
}"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "viewport": {"width": 1366, "height": 900}}


def type_date(page: Page, day) -> None:
    """Type a date into the focused date field, whichever order its segments come in."""
    page.keyboard.type(f"{day:%d%m%Y}")
    if page.evaluate("document.activeElement.value") != day.isoformat():
        page.keyboard.press("Shift+Tab")  # back from the year to the first segment
        page.keyboard.press("Shift+Tab")
        page.keyboard.type(f"{day:%m%d%Y}")
    assert page.evaluate("document.activeElement.value") == day.isoformat()


def tab_to(page: Page, selector: str, unseen_focus: list[str]) -> None:
    """Press Tab until the focused element matches `selector`; note every focus not shown."""
    for _press in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_JS)
        if focused and not focused["visible"]:
            unseen_focus.append(f"{page.url}: {focused['name']}")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} not reached with {MAX_TABS} Tab presses on {page.url}")


def test_book_a_room_with_the_keyboard_alone(page: Page, live_server, demo_territory):
    page.set_default_timeout(10_000)
    space = Space.objects.get(site__name=GRANDS_BUREAUX, name=SPACE)
    day = journey_days(space)[0]
    assert day > timezone.localdate() + timedelta(days=2)
    unseen: list[str] = []

    # Sign in.
    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, "#id_username", unseen)
    page.keyboard.type("asso@demo.test")
    tab_to(page, "#id_password", unseen)
    page.keyboard.type("demo")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    # The menu leads to the availability search.
    tab_to(page, 'header a[href$="/reservations/disponibilites/"]', unseen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trouver un espace libre")

    # When, where, how many.
    tab_to(page, "#id_date", unseen)
    type_date(page, day)
    tab_to(page, "#id_start_time", unseen)
    page.keyboard.type("1400")
    tab_to(page, "#id_end_time", unseen)
    page.keyboard.type("1600")
    tab_to(page, "#id_commune", unseen)
    page.keyboard.type("Denain")
    expect(page.locator("#id_commune option:checked")).to_have_text("Denain")
    tab_to(page, "#id_capacity_min", unseen)
    page.keyboard.type("20")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#results-title")).to_contain_text("libre")

    # The room's "request" link, then the request form.
    tab_to(page, f'main a[href*="/reservations/nouvelle/{space.pk}/"]', unseen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Demander {SPACE}")
    expect(page.locator("#id_date")).to_have_value(f"{day:%Y-%m-%d}")
    expect(page.locator("#id_start_time")).to_have_value("14:00")
    tab_to(page, "#id_purpose", unseen)
    page.keyboard.type(PURPOSE)
    tab_to(page, "#id_attendees", unseen)
    page.keyboard.type("12")
    tab_to(page, 'main form[method="post"] button[type="submit"]:not([name="preview"])', unseen)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The request exists, awaiting the manager.
    expect(page.get_by_role("heading", level=1)).to_have_text(PURPOSE)
    booking = Booking.objects.get(purpose=PURPOSE)
    assert booking.space == space
    start, end = timezone.localtime(booking.start), timezone.localtime(booking.end)
    assert (start.date(), start.hour, end.hour) == (day, 14, 16)
    assert page.url == f"{live_server.url}/reservations/{booking.pk}/"
    assert unseen == [], "focus not visible on:\n" + "\n".join(unseen)
