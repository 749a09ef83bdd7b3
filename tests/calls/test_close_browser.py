"""Closing a call in a real browser: the button leads to a page that states the deadline still
ahead (in bold), the applications sent and who is told; only its confirm button closes the
call, and going back leaves it open. Works without JavaScript (plain links and a form)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls import services
from calls.models import CallStatus
from tests.calls.conftest import draft_call
from tests.calls.test_browser import assert_accessible, sign_in
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401 (Debian's chromium)
from tests.factories import SpaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published_call(commune_staff, commune, site):
    office = SpaceFactory(site=site, name="Bureau 12", kind="office", allocatable=True)
    call = draft_call(
        actor=commune_staff,
        owner=commune.organisation,
        spaces=[office],
        deadline=timezone.now() + timedelta(weeks=6),
        title="Bureaux vacants aux Grands Bureaux",
    )
    services.call_publish(call=call, actor=commune_staff)
    return call


def test_closing_a_call_before_its_deadline_asks_for_confirmation(
    page, live_server, commune_staff, published_call
):
    sign_in(page, live_server, commune_staff.email)
    page.goto(f"{live_server.url}/appels/{published_call.pk}/gestion/")

    with page.expect_navigation():
        page.get_by_role("link", name="Clore l’appel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Clore l’appel")
    expect(page.locator(".confirm-warning strong")).to_contain_text(
        "La date limite n’est pas passée"
    )
    expect(page.locator("main")).to_contain_text("Candidatures envoyées")
    expect(page.locator("main")).to_contain_text("prévenue")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Laisser l’appel ouvert").click()
    published_call.refresh_from_db()
    assert published_call.status == CallStatus.PUBLISHED

    page.goto(f"{live_server.url}/appels/{published_call.pk}/cloturer/")
    with page.expect_navigation():
        page.get_by_role("button", name="clore l’appel").click()

    expect(page.locator(".messages")).to_contain_text("L’appel est clos")
    published_call.refresh_from_db()
    assert published_call.status == CallStatus.CLOSED
