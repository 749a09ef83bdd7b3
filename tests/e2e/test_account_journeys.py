"""Getting into an account in a real browser (issue 12): a new person signs up and confirms
their address by the link of the message; a person who forgot their password chooses a new one
by the link of the message. The links are taken from what a real SMTP server received (the live
server runs in this process: its mail leaves through the outbox to `smtp_inbox`, SITE_URL being
the live server's address). The new pages hold on a phone (390 px) and pass axe."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations
from tests.factories import UserFactory
from tests.stack.smtp import text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un-mot-de-passe-42"
NEW_PASSWORD = "une-autre-phrase-77"


@pytest.fixture
def mail(smtp_inbox, settings, live_server):
    """The inbox, with the links of the messages pointing at the live server."""
    settings.SITE_URL = live_server.url
    return smtp_inbox


def link_in_message(inbox, address: str, live_server, path_prefix: str) -> str:
    """The link under `path_prefix` of the last message to `address` (sent through the outbox:
    what the live server's after-commit job has not sent yet, this sends)."""
    messages = inbox.deliver().to(address)
    assert messages, f"no message to {address}"
    text = text_of(messages[-1])
    match = re.search(rf"{re.escape(live_server.url)}{re.escape(path_prefix)}\S+", text)
    assert match, text
    return match.group(0)


def assert_fits_a_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_sign_up_then_confirm_the_address_by_the_link_received(
    page: Page, live_server, mail, browser_log
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/inscription/")
    assert_fits_a_phone(page)
    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label("Nom", exact=True).fill("Dupont")
    page.get_by_label("Adresse électronique").fill("camille@example.test")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")
    expect(page.get_by_role("navigation").get_by_role("link", name="Se connecter")).to_be_visible()
    assert_fits_a_phone(page)
    assert_no_serious_axe_violations(page)
    link = link_in_message(mail, "camille@example.test", live_server, "/accounts/inscription/")

    page.goto(link)

    expect(
        page.get_by_text("Votre adresse est confirmée et vous êtes connecté(e).")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert page.url.endswith("/accounts/structures/nouvelle/")
    assert User.objects.get(email="camille@example.test").email_confirmed_at is not None
    assert browser_log["foreign_requests"] == []
    assert browser_log["page_errors"] == []


def test_forgotten_password_then_sign_in_with_the_new_one(
    page: Page, live_server, mail, browser_log
):
    UserFactory(email="camille@example.test", password=PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    assert_fits_a_phone(page)
    assert_no_serious_axe_violations(page)
    page.get_by_label("Adresse électronique").fill("camille@example.test")
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")
    assert_fits_a_phone(page)
    link = link_in_message(
        mail, "camille@example.test", live_server, "/accounts/mot-de-passe/nouveau/"
    )

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    assert_fits_a_phone(page)
    assert_no_serious_axe_violations(page)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Votre mot de passe est modifié")
    assert_fits_a_phone(page)
    page.get_by_role("main").get_by_role("link", name="Se connecter").click()
    page.locator("#id_username").fill("camille@example.test")
    page.locator("#id_password").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    notice = mail.deliver().to("camille@example.test")[-1]
    assert "Votre mot de passe a été modifié" in str(notice["Subject"])
    assert browser_log["foreign_requests"] == []
    assert browser_log["page_errors"] == []


def test_the_account_pages_hold_on_a_phone(page: Page, live_server):
    UserFactory(email="camille@example.test", password=PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (
        "/accounts/login/",
        "/accounts/inscription/renvoyer/",
        "/accounts/mot-de-passe/oublie/envoye/",
        "/accounts/mot-de-passe/nouveau/termine/",
        "/accounts/inscription/confirmer/pas-un-lien/",
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_fits_a_phone(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("camille@example.test")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for path in (
        "/accounts/profil/",
        "/accounts/mot-de-passe/modifier/",
        "/accounts/adresse/modifier/",
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_fits_a_phone(page)
        assert_no_serious_axe_violations(page)
