"""The API tokens page in a real browser (issue 14): on a phone (390 px, nothing wider than the
screen), under the site's CSP, with no serious axe violation; the token created is shown once
and works at once with `Authorization: Bearer`, and revoking it stops it."""

from playwright.sync_api import Page, expect

from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in


def test_create_use_and_revoke_a_token_on_a_phone(
    page: Page, live_server, demo_territory, browser_log, tmp_path
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "asso@demo.test")

    page.goto(f"{live_server.url}/accounts/profil/jetons/")
    page.locator("#id_name").fill("Agenda de l'association")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    secret = page.locator("#token-value").input_value()
    page.screenshot(path=str(tmp_path / "api-tokens-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)

    answer = page.request.get(
        f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    assert answer.json()["token"]["name"] == "Agenda de l'association"

    page.goto(f"{live_server.url}/accounts/profil/jetons/")
    expect(page.locator("#token-value")).to_have_count(0)  # shown once
    with page.expect_navigation():
        page.locator(".token form button").first.click()
    refused = page.request.get(
        f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status == 401
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
    assert browser_log["page_errors"] == []
