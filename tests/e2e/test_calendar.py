"""The calendars of a space and of a site in a real browser, under the site's strict CSP.

FullCalendar 6 injects its CSS in a <style> element, which `style-src 'self'` forbids; the page
ships that CSS as a file and gives FullCalendar an inert element to write into
(bookings/static/bookings/fullcalendar-csp.js). These tests prove the calendar draws its events,
styled, with no CSP violation, no script error and no request leaving the site.
"""

import re
from datetime import datetime, time, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from bookings import services
from bookings.rules import Period
from bookings.selectors import local_zone
from bookings.services import BookingRequest, booking_request
from tests.factories import (
    MembershipFactory,
    OpeningHoursFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booked_day(territory_admin, space, site, facilities_manager):
    """A pending request in `space`, and a closure of a second space, three days from now."""
    day = timezone.localdate() + timedelta(days=3)
    zone = local_zone()
    structure = StructureFactory(
        name="Vélo Solidaire", verified_at=timezone.now(), verified_by=territory_admin
    )
    requester = MembershipFactory(
        organisation=structure, user=UserFactory(email="asso@example.test")
    ).user
    booking_request(
        request=BookingRequest(
            space=space,
            organisation=structure,
            purpose="Atelier réparation",
            attendees=8,
            first=Period(
                datetime.combine(day, time(10), zone), datetime.combine(day, time(12), zone)
            ),
        ),
        requested_by=requester,
    )
    services.closure_create(
        actor=facilities_manager,
        space=SpaceFactory(site=site, name="Atelier bois"),
        period=Period(datetime.combine(day, time(14), zone), datetime.combine(day, time(17), zone)),
        reason="Travaux",
    )
    return day


def _log_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


def _assert_clean(browser_log: dict) -> None:
    assert browser_log["page_errors"] == []
    assert browser_log["console_errors"] == []  # a CSP violation is reported here
    assert browser_log["foreign_requests"] == []


def test_space_calendar_draws_its_events_styled_without_csp_violation(
    page: Page, live_server, facilities_manager, space, booked_day, browser_log, tmp_path
):
    page.set_default_timeout(5_000)
    _log_in(page, live_server, facilities_manager)

    response = page.goto(
        f"{live_server.url}/reservations/calendrier/espace/{space.pk}/?date={booked_day:%Y-%m-%d}"
    )

    assert "style-src 'self'" in response.headers["content-security-policy"]
    event = page.locator("#calendar .fc-event.cal-pending")
    expect(event).to_have_count(1)
    expect(event).to_contain_text("En attente de validation")
    expect(event).to_contain_text("Vélo Solidaire — Atelier réparation")
    expect(event).to_have_attribute("href", re.compile(r"^/reservations/\d+/$"))
    # Styled by static/vendor/fullcalendar/fullcalendar.css and bookings/calendars.css.
    assert page.locator(".fc-header-toolbar").evaluate("el => getComputedStyle(el).display") == (
        "flex"
    )
    assert event.evaluate("el => getComputedStyle(el).borderTopStyle") == "dashed"
    # No real <style> element: only the inert one FullCalendar writes into.
    assert (
        page.evaluate(
            "[...document.querySelectorAll('style')].filter((el) => el instanceof HTMLStyleElement)"
            ".length"
        )
        == 0
    )
    expect(page.get_by_role("button", name=re.compile("Mois"))).to_be_visible()
    # The server-rendered table lists the same booking.
    expect(page.locator("#upcoming + table")).to_contain_text("Vélo Solidaire — Atelier réparation")
    page.screenshot(path=tmp_path / "calendar-space-week.png", full_page=True)

    page.get_by_role("button", name=re.compile("Mois")).click()
    expect(page.locator("#calendar .fc-daygrid-event.cal-pending")).to_have_count(1)
    page.screenshot(path=tmp_path / "calendar-space-month.png", full_page=True)
    page.get_by_role("button", name=re.compile("Planning")).click()
    expect(page.locator("#calendar .fc-list-event.cal-pending")).to_have_count(1)

    _assert_clean(browser_log)


def test_site_calendar_names_the_space_of_each_event(
    page: Page, live_server, facilities_manager, site, booked_day, browser_log, tmp_path
):
    page.set_default_timeout(5_000)
    _log_in(page, live_server, facilities_manager)

    page.goto(
        f"{live_server.url}/reservations/calendrier/site/{site.pk}/?date={booked_day:%Y-%m-%d}"
    )

    expect(page.locator("#calendar .fc-event.cal-pending")).to_contain_text(
        "Salle Usinor — En attente de validation"
    )
    expect(page.locator("#calendar .fc-event.cal-closure")).to_contain_text(
        "Atelier bois — Fermé : Travaux"
    )
    page.screenshot(path=tmp_path / "calendar-site-week.png", full_page=True)
    results = Axe().run(page)
    serious = [
        violation["id"]
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, results.generate_report()
    _assert_clean(browser_log)


def test_closure_hitting_a_booking_lists_it_then_cancels_it(
    page: Page, live_server, facilities_manager, site, booked_day, browser_log, tmp_path
):
    page.set_default_timeout(5_000)
    _log_in(page, live_server, facilities_manager)
    page.goto(f"{live_server.url}/reservations/fermetures/site/{site.pk}/")

    page.get_by_label("Ce qui ferme").select_option(label="Salle Usinor")
    page.get_by_label("Premier jour").fill(f"{booked_day:%Y-%m-%d}")
    page.get_by_label("Dernier jour").fill(f"{booked_day:%Y-%m-%d}")
    page.get_by_label("Motif").fill("Dégât des eaux")
    page.get_by_role("button", name="Ajouter la fermeture").click()

    hits = page.locator(".closure-hits table")
    expect(hits).to_contain_text("Vélo Solidaire — Atelier réparation")
    expect(page.locator(".error-summary")).to_be_visible()
    page.screenshot(path=tmp_path / "closures-conflict.png", full_page=True)
    results = Axe().run(page)
    serious = [
        violation["id"]
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, results.generate_report()

    page.get_by_label("Annuler ces réservations, avec le motif de la fermeture").check()
    page.get_by_role("button", name="Ajouter la fermeture").click()

    expect(page.locator(".messages")).to_contain_text("1 date réservée a été annulée.")
    expect(page.locator("table").first).to_contain_text("Dégât des eaux")
    page.screenshot(path=tmp_path / "closures-added.png", full_page=True)
    # Chromium logs the 409 of the page that lists the bookings hit; nothing else may appear.
    conflict = "Failed to load resource: the server responded with a status of 409"
    browser_log["console_errors"] = [
        error for error in browser_log["console_errors"] if not error.startswith(conflict)
    ]
    _assert_clean(browser_log)


# --- Issue 13: calendars that show the day ---


def _serious(page: Page) -> list:
    results = Axe().run(page)
    return [
        violation["id"]
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def _page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_week_view_starts_at_the_opening_time(
    page: Page, live_server, facilities_manager, space, booked_day, browser_log
):
    for weekday in range(7):
        OpeningHoursFactory(space=space, weekday=weekday, opens=time(9), closes=time(18))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_default_timeout(5_000)
    _log_in(page, live_server, facilities_manager)

    page.goto(
        f"{live_server.url}/reservations/calendrier/espace/{space.pk}/?date={booked_day:%Y-%m-%d}"
    )

    labels = page.locator("#calendar .fc-timegrid-slot-label[data-time]")
    expect(labels.first).to_have_attribute("data-time", "09:00:00")
    expect(labels.last).to_have_attribute("data-time", "17:00:00")
    expect(page.locator("#calendar .fc-event.cal-pending")).to_have_count(1)
    _assert_clean(browser_log)


def test_on_a_phone_the_calendar_is_a_list_that_fits(
    page: Page, live_server, facilities_manager, site, booked_day, browser_log, tmp_path
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(5_000)
    _log_in(page, live_server, facilities_manager)

    page.goto(
        f"{live_server.url}/reservations/calendrier/site/{site.pk}/?date={booked_day:%Y-%m-%d}"
    )

    expect(page.locator("#calendar .fc-list")).to_be_visible()
    expect(page.locator("#calendar .fc-list-event.cal-pending")).to_have_count(1)
    # The day's heading reads as words ("mardi 8 décembre"), not dates run together.
    heading = page.locator("#calendar .fc-list-day-text").first
    expect(heading).to_have_text(re.compile(r"^[a-zé]+ \d{1,2} [a-zéû]+$", re.IGNORECASE))
    for button in page.locator("#calendar .fc-button").all():
        box = button.bounding_box()
        assert box["height"] >= 44, button.inner_text()
        assert box["width"] >= 44, button.inner_text()
    assert _page_width(page) <= 390
    page.screenshot(path=tmp_path / "calendar-site-phone.png", full_page=True)
    assert not _serious(page)
    _assert_clean(browser_log)


def test_a_free_cell_of_the_day_grid_opens_a_prefilled_request(
    page: Page, live_server, territory_admin, site, space, booked_day, browser_log, tmp_path
):
    structure = StructureFactory(
        name="Repair Café", verified_at=timezone.now(), verified_by=territory_admin
    )
    requester = MembershipFactory(
        organisation=structure, user=UserFactory(email="repair@example.test")
    ).user
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(5_000)
    _log_in(page, live_server, requester)

    page.goto(
        f"{live_server.url}/reservations/calendrier/site/{site.pk}/jour/?date={booked_day:%Y-%m-%d}"
    )

    grid = page.get_by_role("region", name=re.compile("Salles de"))
    expect(grid).to_be_visible()
    # Busy and closed cells say so; who booked is not shown to another structure.
    expect(grid).to_contain_text("Occupé")
    expect(grid).to_contain_text("Fermé")
    expect(grid).not_to_contain_text("Vélo Solidaire")
    assert _page_width(page) <= 390
    assert not _serious(page)
    page.screenshot(path=tmp_path / "day-grid-phone.png", full_page=True)

    page.get_by_role("link", name=re.compile(r"^Réserver Salle Usinor, .*, 15\sh–16\sh$")).click()

    expect(page.get_by_label("Date (obligatoire)", exact=True)).to_have_value(
        f"{booked_day:%Y-%m-%d}"
    )
    expect(page.get_by_label("De (obligatoire)", exact=True)).to_have_value("15:00")
    expect(page.get_by_label("À (obligatoire)", exact=True)).to_have_value("16:00")
    _assert_clean(browser_log)


def test_the_requester_calendar_lists_its_bookings_on_a_phone(
    page: Page, live_server, booked_day, browser_log
):
    requester = User.objects.get(email="asso@example.test")
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(5_000)
    _log_in(page, live_server, requester)

    page.goto(
        f"{live_server.url}/reservations/calendrier/mes-reservations/?date={booked_day:%Y-%m-%d}"
    )

    event = page.locator("#calendar .fc-list-event.cal-pending")
    expect(event).to_have_count(1)
    expect(event).to_contain_text("Salle Usinor — En attente de validation")
    assert _page_width(page) <= 390
    assert not _serious(page)
    _assert_clean(browser_log)


def test_the_week_of_an_always_open_space_keeps_the_night_in_the_page_not_a_scroller(
    page: Page, live_server, facilities_manager, space, booked_day, browser_log
):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_default_timeout(5_000)
    _log_in(page, live_server, facilities_manager)

    page.goto(
        f"{live_server.url}/reservations/calendrier/espace/{space.pk}/?date={booked_day:%Y-%m-%d}"
    )

    labels = page.locator("#calendar .fc-timegrid-slot-label[data-time]")
    expect(labels.first).to_have_attribute("data-time", "00:00:00")
    expect(labels.last).to_have_attribute("data-time", "23:00:00")
    # No region scrolls inside the grid (it could not be made keyboard-reachable there).
    assert not page.evaluate(
        """() => [...document.querySelectorAll('#calendar .fc-scroller')].some(
            (s) => s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1)"""
    )
    assert not _serious(page)
    _assert_clean(browser_log)
