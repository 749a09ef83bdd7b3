"""An application's conversation in a real browser, on a phone (390 px): the demo's exchange
is listed oldest first with each author's role, an empty message is refused with its error
linked to the field, a message sent appears at the bottom; no serious axe violation, nothing
blocked by the CSP."""

from playwright.sync_api import Page, expect

from calls.models import ApplicationComment
from portal import demo
from tests.e2e.test_booking_conversation import LONG_WORD
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in


def test_the_application_conversation_fits_a_phone_and_takes_a_reply(
    page: Page, live_server, demo_territory, browser_log
):
    application = (
        ApplicationComment.objects.filter(application__call__title=demo.CALL["title"])
        .first()
        .application
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "asso@demo.test")

    page.goto(f"{live_server.url}{application.get_absolute_url()}")
    thread = page.locator("#messages")
    expect(thread.get_by_role("heading", name="Messages")).to_be_visible()
    expect(thread.locator(".comment")).to_have_count(len(demo.APPLICATION_CONVERSATION))
    expect(thread.locator(".comment").first).to_contain_text("Gestionnaire")

    thread.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator("#id_comment_body")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary")).to_contain_text("Écrivez votre message.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)

    page.locator("#id_comment_body").fill(f"Une dernière question sur {LONG_WORD} ?")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator(".comment").last).to_contain_text("Une dernière question")
    assert ApplicationComment.objects.filter(application=application).count() == (
        len(demo.APPLICATION_CONVERSATION) + 1
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []
