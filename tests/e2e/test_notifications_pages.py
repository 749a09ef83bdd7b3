"""The notifications list and the profile in a real browser: on a phone (390 px, nothing wider
than the screen), under the site's CSP, with no serious axe violation; opening a notification
marks it read and the menu's count goes down."""

from playwright.sync_api import Page, expect

from accounts.models import Notification, User
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in

LONG_WORD = "Salle-polyvalente-de-la-maison-des-associations-de-Wallers-Arenberg" * 2


def test_notifications_and_profile_fit_a_phone(
    page: Page, live_server, demo_territory, browser_log
):
    user = User.objects.get(email="asso@demo.test")
    mine = Notification.objects.create(
        user=user,
        topic="booking_approved",
        subject=f"Réservation acceptée — {LONG_WORD}",
        body=f"Bonjour,\n\nVotre demande pour {LONG_WORD} est acceptée.\n{live_server.url}/espaces/",
        link="/espaces/",
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "asso@demo.test")

    page.goto(f"{live_server.url}/accounts/notifications/")
    expect(page.get_by_role("heading", name="Mes notifications")).to_be_visible()
    unread_before = Notification.objects.filter(user=user, read_at__isnull=True).count()
    # The demo's own messages (its bookings and agreement) are listed too, newest first.
    expect(page.locator(".notification-unread")).to_have_count(unread_before)
    expect(page.get_by_role("link", name=f"Notifications {unread_before} non lues")).to_be_visible()
    item = page.locator(".notification").filter(has_text="Salle-polyvalente-de-la-maison")
    item.get_by_text("Lire le message").click()
    expect(item.locator(".notification-body")).to_contain_text("est acceptée")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)

    item.get_by_role("button", name="Ouvrir la page").click()
    expect(page).to_have_url(f"{live_server.url}/espaces/")
    mine.refresh_from_db()
    assert mine.read_at is not None
    expect(
        page.get_by_role("link", name=f"Notifications {unread_before - 1} non lues")
    ).to_be_visible()

    page.goto(f"{live_server.url}/accounts/profil/")
    expect(page.get_by_role("heading", name="Mon profil")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
