"""The annex PDF in a real browser: asked for from the annex page, offered on the document's
page; while it is being prepared, the page's script shows it ready in its live region without
a reload, under the site's CSP, and axe finds no serious violation."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import User
from reports import services
from reports.models import DocumentKind, GeneratedDocument
from reports.selectors import communes_reportable_by
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF = "commune@demo.test"
YEAR = 2026


def test_commune_staff_prepares_the_annex_and_gets_its_link_at_once_without_a_broker(
    page: Page, live_server, demo_territory, browser_log
):
    commune = communes_reportable_by(User.objects.get(email=STAFF)).first()
    sign_in(page, live_server, STAFF)
    page.goto(f"{live_server.url}{reverse('reports:annex', args=[commune.insee_code, YEAR])}")

    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("PDF")).click()

    document = GeneratedDocument.objects.get()
    link = page.locator("#document-status a.button")
    expect(link).to_have_attribute("href", reverse("reports:document-file", args=[document.pk]))
    assert_no_serious_axe_violations(page)
    assert browser_log["page_errors"] == []
    assert browser_log["foreign_requests"] == []


def test_the_page_of_a_document_being_prepared_shows_it_ready_without_a_reload(
    page: Page, live_server, demo_territory, browser_log
):
    staff = User.objects.get(email=STAFF)
    commune = communes_reportable_by(staff).first()
    # Pending, its job not sent: as with a worker still busy with it.
    document = GeneratedDocument.objects.create(
        requested_by=staff, kind=DocumentKind.ANNEX, commune=commune, year=YEAR
    )
    sign_in(page, live_server, STAFF)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}{reverse('reports:document', args=[document.pk])}")
    region = page.locator("#document-status[role=status]")
    expect(region).to_have_attribute("data-status", "pending")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe_violations(page)
    page.evaluate("window.notReloaded = true")

    services.document_render(document_pk=document.pk)

    expect(region.locator("a.button")).to_have_attribute(
        "href", reverse("reports:document-file", args=[document.pk]), timeout=30_000
    )
    assert page.evaluate("window.notReloaded") is True  # updated in place: read out, no reload
    expect(page.locator("#document-again")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert [e for e in browser_log["console_errors"] if "Content Security Policy" in e] == []
    assert browser_log["page_errors"] == []
