"""A booking with a fee, from request to paid to refunded, in a real browser.

The association member requests the Salle du Haut-Fourneau (run by the demo SCIC, which
collects by card), sees the price and its rule, authorises the payment on the payment page
(localstripe serves the stand-in for Stripe.js, whose card fields we type into), the facilities
manager approves the request — the card is charged — then refunds part of it and the rest
from the payment page. Stripe is localstripe over HTTP; nothing of ours is faked.
"""

import re
from datetime import date, datetime, time, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Organisation
from bookings.models import Occupancy
from bookings.selectors import local_zone
from payments.models import Payment, PaymentChannel, PaymentStatus
from spaces.models import Space
from tests.e2e.test_booking_journey import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRANDS_BUREAUX = "Les Grands Bureaux — pôle ESS (démo)"
SPACE = "Salle du Haut-Fourneau"
PURPOSE = "Assemblée générale (paiement e2e)"
PRICE = "24,00 €"  # 2 hours at the association rate of the demo (12 €/h)

_axe = Axe()


def assert_no_serious_axe_violations(page: Page) -> None:
    # localstripe's stand-in card fields are not Stripe's (whose fields live in an
    # accessible iframe of Stripe's); they are left out of the audit.
    results = _axe.run(page, context={"exclude": [["#card-element"]]})
    serious = [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe on {page.url}: {serious}\n{results.generate_report()}"


def free_day(space: Space) -> date:
    zone = local_zone()
    day = timezone.localdate() + timedelta(days=4)
    for _attempt in range(30):
        start, end = datetime.combine(day, time(10), zone), datetime.combine(day, time(12), zone)
        if not Occupancy.objects.filter(
            space=space, active=True, start__lt=end, blocked_until__gt=start
        ).exists():
            return day
        day += timedelta(days=1)
    pytest.fail(f"No free morning found for {SPACE}")


@pytest.fixture
def card_payments(demo_territory, stripe_api):
    """The SCIC's Stripe test keys, here for localstripe (it accepts any sk_test_ key)."""
    scic = Organisation.objects.get(name="SCIC Les Forges Solidaires (démo)")
    PaymentChannel.objects.filter(owner=scic).update(
        stripe_publishable_key="pk_test_demo",
        stripe_secret_key="sk_test_demo",
        stripe_webhook_secret="whsec_demo",
    )
    return stripe_api


def test_request_pay_approve_and_refund_in_the_browser(
    page: Page, live_server, card_payments, browser_log
):
    page.set_default_timeout(8_000)
    space = Space.objects.get(site__name=GRANDS_BUREAUX, name=SPACE)
    day = free_day(space)

    # --- 1. The member requests the room and sees the price with its rule.
    sign_in(page, live_server, "asso@demo.test")
    page.goto(
        f"{live_server.url}/reservations/nouvelle/{space.pk}/"
        f"?date={day:%Y-%m-%d}&start_time=10:00&end_time=12:00"
    )
    page.get_by_label("Objet").fill(PURPOSE)
    page.get_by_label("Nombre de participants").fill("30")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").click()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/reservations/\d+/", page.url)
    booking_url = page.url
    expect(page.locator(".facts")).to_contain_text(PRICE)
    expect(page.locator(".facts")).to_contain_text("2 heures × 12,00 €")
    assert_no_serious_axe_violations(page)

    # --- 2. The member authorises the payment on the payment page.
    with page.expect_navigation():
        page.get_by_role("button", name="Autoriser le paiement par carte").click()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/paiements/\d+/", page.url)
    payment_url = page.url
    expect(page.get_by_role("heading", level=2, name="Payer par carte")).to_be_visible()
    card = page.locator("#card-element")
    expect(card.locator("input")).to_have_count(5)  # Stripe.js (localstripe's) mounted its fields
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("30")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("59220")
    assert_no_serious_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name=f"Payer {PRICE}").click()
    expect(page.locator(".messages")).to_contain_text("Votre carte est autorisée")
    expect(page.locator(".badge")).to_have_text("Carte autorisée")
    payment = Payment.objects.get(booking__purpose=PURPOSE)
    assert payment.status == PaymentStatus.AUTHORISED
    assert payment.amount_cents == 2400
    # Stripe.js talked to "Stripe" (localstripe) only, never to another host.
    assert not [url for url in browser_log["foreign_requests"] if card_payments not in url]
    assert not browser_log["page_errors"]
    sign_out(page)

    # --- 3. The manager approves: the card is charged.
    sign_in(page, live_server, "gestionnaire@demo.test")
    page.goto(booking_url)
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("La réservation est acceptée")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    page.reload()
    expect(page.get_by_role("link", name=f"Payé — {PRICE}")).to_be_visible()

    # --- 4. The manager refunds part of the fee, then the rest.
    with page.expect_navigation():
        page.get_by_role("link", name=f"Payé — {PRICE}").click()
    assert page.url == payment_url
    assert_no_serious_axe_violations(page)
    page.get_by_label("Montant à rembourser (€)").fill("4,00")
    page.get_by_label("Motif").fill("Vidéoprojecteur en panne")
    with page.expect_navigation():
        page.get_by_role("button", name="Rembourser").click()
    expect(page.locator(".messages")).to_contain_text("4,00 € remboursés")
    expect(page.locator(".badge")).to_have_text("Payé")
    page.get_by_label("Montant à rembourser (€)").fill("20,00")
    page.get_by_label("Motif").fill("Assemblée annulée par la SCIC")
    with page.expect_navigation():
        page.get_by_role("button", name="Rembourser").click()
    expect(page.locator(".badge")).to_have_text("Remboursé")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_cents == 2400
    expect(page.get_by_role("table", name="Remboursements").locator("tbody tr")).to_have_count(2)


def test_manager_sets_a_tariff_that_the_public_then_sees(page: Page, live_server, demo_territory):
    page.set_default_timeout(8_000)
    space = Space.objects.get(site__name=GRANDS_BUREAUX, name="Salle de la Coulée")
    sign_in(page, live_server, "gestionnaire@demo.test")
    page.goto(f"{live_server.url}{space.get_absolute_url()}")
    with page.expect_navigation():
        page.get_by_role("link", name="Tarifs", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Tarifs — {space.name}")
    assert_no_serious_axe_violations(page)
    page.get_by_label("Structure d’insertion (SIAE) — par jour (€)").fill("30")
    page.get_by_label("Association ou fondation — par heure (€)").fill("-1")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les tarifs").click()
    expect(page.get_by_role("alert")).to_contain_text("Association ou fondation — par heure (€)")
    assert_no_serious_axe_violations(page)
    page.get_by_label("Association ou fondation — par heure (€)").fill("9,50")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les tarifs").click()
    expect(page.locator(".messages")).to_contain_text("Les tarifs sont enregistrés")
    sign_out(page)
    page.goto(f"{live_server.url}{space.get_absolute_url()}")
    table = page.get_by_role("table", name="Tarifs par catégorie d’organisation")
    expect(table.get_by_role("row", name=re.compile("Association ou fondation"))).to_contain_text(
        "9,50 €"
    )
    expect(table.get_by_role("row", name=re.compile("Structure d’insertion"))).to_contain_text(
        "30,00 €"
    )
    assert_no_serious_axe_violations(page)
