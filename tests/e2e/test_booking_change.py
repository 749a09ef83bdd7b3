"""Changing a booking (issue 16) in a real browser, on a phone (390 px): the demo's moved
booking shows its history, its "Modifier" page has labelled fields, an error in French linked
to its field, fits the width, and saves a change; no serious axe violation."""

from datetime import timedelta

from django.utils import timezone
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


def test_a_series_is_changed_from_a_date_on_a_phone(
    page: Page, live_server, demo_territory, browser_log
):
    series = Booking.objects.get(purpose=demo.BOOKINGS[0][2])
    dates = list(series.occupancies.filter(active=True).order_by("start"))
    from_day = timezone.localtime(dates[2].start).date()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "asso@demo.test")

    page.goto(f"{live_server.url}{series.get_absolute_url()}")
    page.get_by_role("link", name="Modifier", exact=True).click()
    page.get_by_label("À partir du").fill(from_day.isoformat())
    page.get_by_label("Heure de début").fill("19:00")
    page.get_by_label("Heure de fin").fill("21:00")
    page.get_by_label("Dernière date de la série").fill((from_day - timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Enregistrer la modification").click()
    expect(page.locator("#id_until_errors")).to_contain_text("avant la première date")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)

    page.get_by_label("Dernière date de la série").fill(
        timezone.localtime(dates[-1].start).date().isoformat()
    )
    page.get_by_role("button", name="Enregistrer la modification").click()
    expect(page.locator("table")).to_contain_text("les dates précédentes inchangées")
    assert [
        timezone.localtime(row.start).hour
        for row in series.occupancies.filter(active=True).order_by("start")
    ] == [18, 18] + [19] * (len(dates) - 2)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
