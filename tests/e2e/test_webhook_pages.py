"""The webhook pages in a real browser, at a phone's width and a desk's: not wider than the
screen, no serious axe violation, touch targets (the checks of test_phone_widths.py); the
secret page after creating one through the form."""

import uuid

import pytest
from playwright.sync_api import Page

from accounts.models import User
from integrations import services
from integrations.models import WebhookDelivery
from tests.e2e.test_phone_widths import DESK, PHONE, check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_URL = "https://93.184.216.34/" + "tres-long-chemin-sans-espace-" * 6


def test_the_webhook_pages_fit_a_phone_and_pass_axe(page: Page, live_server, demo_territory):
    user = User.objects.get(email="asso@demo.test")
    organisation = user.memberships.get(role="admin").organisation
    endpoint = services.endpoint_create(
        actor=user,
        organisation=organisation,
        url=LONG_URL,
        events=["booking.requested", "booking.confirmed"],
        description="Logiciel de gestion de l'association",
    )
    for status in ("delivered", "failed", "pending"):
        event = uuid.uuid4()
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=event,
            event_type="booking.requested",
            payload={"id": str(event)},
            status=status,
            attempts=6 if status == "failed" else 1,
            response_status=200 if status == "delivered" else 500,
            response_ms=87,
            last_error="" if status == "delivered" else "HTTP 500: " + "erreur-interne" * 12,
        )
    sign_in(page, live_server, "asso@demo.test")
    pages = {
        "list": f"/integrations/organisations/{organisation.pk}/webhooks/",
        "create": f"/integrations/organisations/{organisation.pk}/webhooks/nouveau/",
        "detail": f"/integrations/webhooks/{endpoint.pk}/",
        "delete": f"/integrations/webhooks/{endpoint.pk}/supprimer/",
    }
    problems = []

    for label, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        for viewport in (PHONE, DESK):
            problems += check_page(page, label, viewport)
    page.goto(f"{live_server.url}{pages['create']}")
    # By id and value: the French catalogue of these new strings comes with the merge.
    page.locator("#id_url").fill("https://93.184.216.34/autre")
    page.locator('input[name="events"][value="booking.requested"]').check()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    for viewport in (PHONE, DESK):
        problems += check_page(page, "secret", viewport)

    assert page.locator("#webhook-secret").input_value().startswith("whsec_")
    assert problems == [], "\n".join(problems)
