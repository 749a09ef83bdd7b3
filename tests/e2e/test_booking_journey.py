"""The whole booking path on the demo territory, in a real browser.

An association member finds a free room in Denain for a weekly meeting and requests it; the
facilities manager approves it, sees it on the space's calendar, subscribes to the space's ICS
feed, cancels one date of the series, and the feed then excludes that date.

Dates are real (the live server runs in another thread, where a frozen clock does not hold): the
first Wednesday at least three days ahead on which the room is free, 14:00–16:00, for three
weeks. "Salle du Haut-Fourneau" needs the manager's approval; the demo books it on Tuesday
evenings and Saturdays only. French wording comes from locale/fr/LC_MESSAGES/django.po.
"""

import re
from datetime import date, datetime, time, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import formats, timezone, translation
from icalendar import Calendar
from playwright.sync_api import Page, expect

from bookings.models import Occupancy
from bookings.selectors import local_zone
from spaces.models import Space

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRANDS_BUREAUX = "Les Grands Bureaux — pôle ESS (démo)"
SPACE = "Salle du Haut-Fourneau"
ASSOCIATION = "Mobilité Solidaire Hainaut (démo)"
PURPOSE = "Permanence mobilité (parcours e2e)"
WEEKS = 3
START, END = time(14), time(16)
# msgstr of the French catalogue.
AWAITING = "En attente de validation"  # "Awaiting approval"
CONFIRMED = "Confirmée"  # "Confirmed"
CANCELLED = "annulée"  # "cancelled" (a date of a series)

_axe = Axe()


def assert_no_serious_axe_violations(page: Page) -> None:
    results = _axe.run(page)
    serious = [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe on {page.url}: {serious}\n{results.generate_report()}"
    # axe 4.12 no longer reports duplicate ids; a label must still reach its own field.
    duplicates = page.evaluate(
        "() => { const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);"
        " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
    )
    assert duplicates == [], f"duplicate ids on {page.url}: {duplicates}"


def journey_days(space: Space) -> list[date]:
    """The first Wednesday ≥ 3 days ahead whose 3 weekly 14:00–16:00 slots are all free."""
    zone = local_zone()
    day = timezone.localdate() + timedelta(days=3)
    day += timedelta(days=(2 - day.weekday()) % 7)  # a Wednesday
    for _attempt in range(20):
        days = [day + timedelta(weeks=week) for week in range(WEEKS)]
        taken = Occupancy.objects.filter(space=space, active=True)  # bookings and closures
        if not any(
            taken.filter(
                start__lt=datetime.combine(d, END, zone),
                blocked_until__gt=datetime.combine(d, START, zone),
            ).exists()
            for d in days
        ):
            return days
        day += timedelta(weeks=1)
    pytest.fail(f"No free Wednesday found for {SPACE}")


def french_day(day: date) -> str:
    with translation.override("fr"):
        return formats.date_format(day, "l j F Y")


def sign_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill("demo")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def sign_out(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()


def feed_event(page: Page, url: str) -> tuple[str, object]:
    """The feed's text (lines unfolded) and its VEVENT for the journey's booking.

    Fetched with the browser's request context, as a calendar application would (no login
    needed: the secret URL is the credential).
    """
    response = page.request.get(url)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.body()
    text = body.decode().replace("\r\n ", "")
    calendar = Calendar.from_ical(body)
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = [
        event
        for event in calendar.walk("VEVENT")
        if str(event.get("summary")) == f"{SPACE} — {PURPOSE}"
    ]
    assert len(events) == 1, text
    return text, events[0]


def test_search_request_approve_calendar_feed_cancel_one_date(
    page: Page, live_server, demo_territory, browser_log, settings
):
    page.set_default_timeout(5_000)
    # Feed addresses are absolute (SITE_URL): here, the live server's.
    settings.SITE_URL = live_server.url
    space = Space.objects.get(site__name=GRANDS_BUREAUX, name=SPACE)
    assert not space.instant_confirmation
    days = journey_days(space)
    first = days[0]

    # --- 1. The association member searches, by date first, and requests the room.
    sign_in(page, live_server, "asso@demo.test")
    page.get_by_role("link", name="Trouver un créneau libre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trouver un espace libre")
    page.locator("#id_date").fill(f"{first:%Y-%m-%d}")
    page.locator("#id_start_time").fill("14:00")
    page.locator("#id_end_time").fill("16:00")
    commune = page.locator("#id_commune")
    commune.focus()
    page.keyboard.type("Denain")
    expect(commune.locator("option:checked")).to_have_text("Denain")
    page.locator("#id_capacity_min").focus()
    page.keyboard.type("20")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#results-title")).to_contain_text(re.compile(r"\d+ espaces? libres?"))
    cards = page.locator(".results .card")
    expect(cards.locator(".card-title")).to_contain_text([SPACE])
    for card in cards.all():
        expect(card.locator(".card-meta")).to_have_text(re.compile(r"— Denain$"))
    assert_no_serious_axe_violations(page)

    request_link = page.get_by_role("link", name=f"Demander cet espace — {SPACE}", exact=True)
    request_link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(f"{live_server.url}/reservations/nouvelle/{space.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Demander {SPACE}")
    expect(page.locator("#id_date")).to_have_value(f"{first:%Y-%m-%d}")
    expect(page.locator("#id_start_time")).to_have_value("14:00")
    expect(page.locator("#id_end_time")).to_have_value("16:00")
    expect(page.locator("#id_organisation option:checked")).to_have_text(ASSOCIATION)
    assert_no_serious_axe_violations(page)
    page.get_by_label("Objet").fill(PURPOSE)
    page.get_by_label("Nombre de participants").fill("20")
    page.get_by_label("Répétition").select_option(label="Toutes les semaines")
    page.get_by_label("Ou nombre d’occurrences").fill(str(WEEKS))
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").click()

    assert re.fullmatch(rf"{re.escape(live_server.url)}/reservations/\d+/", page.url)
    booking_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(PURPOSE)
    expect(page.locator(".badge")).to_have_text(AWAITING)
    dates = page.get_by_role("heading", level=2, name="Dates").locator(
        "xpath=following-sibling::ul[1]/li"
    )
    expect(dates).to_have_text([f"{french_day(d)}, 14:00–16:00" for d in days])
    assert_no_serious_axe_violations(page)
    sign_out(page)

    # --- 2. The facilities manager finds the request among those to decide, and approves it.
    sign_in(page, live_server, "gestionnaire@demo.test")
    page.goto(f"{live_server.url}/reservations/a-traiter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes à traiter")
    with page.expect_navigation():
        page.get_by_role("link", name=PURPOSE, exact=True).click()
    assert page.url == booking_url
    expect(page.locator(".badge")).to_have_text(AWAITING)
    assert_no_serious_axe_violations(page)  # with both the decision and the cancel forms
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("La réservation est acceptée")
    expect(page.locator(".badge")).to_have_text(CONFIRMED)

    # --- 3. The space's calendar shows it: FullCalendar's week and the next-14-days table.
    page.get_by_role("link", name=SPACE, exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Calendrier", exact=True).click()
    assert page.url == f"{live_server.url}/reservations/calendrier/espace/{space.pk}/"
    page.goto(f"{page.url}?date={first:%Y-%m-%d}")
    title = f"{CONFIRMED} : {ASSOCIATION} — {PURPOSE}"
    event = page.locator("#calendar .fc-event.cal-confirmed", has_text=PURPOSE)
    expect(event).to_have_count(1)
    expect(event).to_contain_text(title)
    expect(event).to_contain_text("14:00")
    expect(event).to_have_attribute("href", booking_url.removeprefix(live_server.url))
    if first < timezone.localdate() + timedelta(days=14):
        row = page.locator("#upcoming + table tr", has_text=PURPOSE).first
        expect(row).to_contain_text(f"{french_day(first)}, 14:00–16:00")
        expect(row).to_contain_text(CONFIRMED)

    # --- 4. A subscription to the space's calendar; the feed holds the confirmed series.
    page.goto(f"{live_server.url}/reservations/abonnements/")
    page.get_by_label("Calendrier").select_option(label=f"{SPACE} ({GRANDS_BUREAUX})")
    with page.expect_navigation():
        page.get_by_role("button", name="Créer l’abonnement").click()
    feed_url = page.get_by_label("Adresse à copier dans votre application d’agenda")
    expect(feed_url).to_have_value(re.compile(rf"^{re.escape(live_server.url)}/reservations/ics/"))
    feed_url = feed_url.input_value()

    text, vevent = feed_event(page, feed_url)
    assert "BEGIN:VTIMEZONE" in text
    assert "TZID:Europe/Paris" in text
    assert f"SUMMARY:{SPACE} — {PURPOSE}" in text
    assert str(vevent["status"]) == "CONFIRMED"
    rrule = vevent["rrule"]
    assert rrule["FREQ"] == ["WEEKLY"]
    assert rrule.get("COUNT") == [WEEKS] or "UNTIL" in rrule, rrule
    assert vevent["dtstart"].dt == datetime.combine(first, START, local_zone())
    assert "exdate" not in vevent

    # --- 5. The manager cancels the second date only, with a reason.
    page.goto(booking_url)
    second = days[1]
    cancel_button = page.get_by_role("button", name="Annuler ces dates")
    cancel_form = page.locator("form", has=cancel_button)
    cancel_form.get_by_label("Que faut-il annuler ?").select_option(
        label=f"{second:%d/%m/%Y} 14:00"
    )
    cancel_form.get_by_label("Motif").fill("Salle réquisitionnée")
    with page.expect_navigation():
        cancel_button.click()
    # The confirmation page says what is cancelled and who is told; nothing changed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler la réservation")
    expect(page.locator("main")).to_contain_text(f"{second:%d/%m/%Y} 14:00")
    expect(page.locator("main")).to_contain_text("Le demandeur est prévenu par e-mail")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer : annuler").click()
    expect(page.locator(".messages")).to_contain_text("1 date(s) annulée(s).")
    expect(page.locator(".badge")).to_have_text(CONFIRMED)
    expect(dates).to_have_count(WEEKS)
    for index, day in enumerate(days):
        if day == second:
            expect(dates.nth(index)).to_have_text(f"{french_day(day)}, 14:00–16:00 — {CANCELLED}")
        else:
            expect(dates.nth(index)).to_have_text(f"{french_day(day)}, 14:00–16:00")
    expect(page.locator("table")).to_contain_text("Salle réquisitionnée")
    assert_no_serious_axe_violations(page)

    text, vevent = feed_event(page, feed_url)
    assert str(vevent["status"]) == "CONFIRMED"
    excluded = [value.dt for exdate in [vevent["exdate"]] for value in exdate.dts]
    assert excluded == [datetime.combine(second, START, local_zone())], text
    assert re.search(rf"EXDATE;TZID=Europe/Paris:{second:%Y%m%d}T140000", text), text

    # --- 7. Nothing broke and nothing left the server.
    assert browser_log["page_errors"] == []
    assert browser_log["console_errors"] == []
    assert browser_log["foreign_requests"] == []
