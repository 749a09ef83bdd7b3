"""The availability widget in a real browser, on a page served from another origin (issue 14):
chromium shows it inside the commune's page once the commune registered that website, and
refuses to frame it otherwise (frame-ancestors). The page passes axe and fits 390 px."""

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import MembershipRole
from spaces.models import WidgetOrigin
from tests.e2e.test_phone_widths import PHONE, check_page
from tests.factories import MembershipFactory, SpaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def commune_website(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A website of its own origin (127.0.0.1, another port than the platform's `localhost`):
    its URL and the folder it serves."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


@pytest.fixture
def widget_url(live_server, site) -> str:
    # No notice and no hours: free tomorrow afternoon whatever the time the suite runs.
    SpaceFactory(site=site, name="Salle Usinor", min_notice_hours=0, capacity=40)
    return live_server.url + reverse("bookings:widget-availability", args=[site.owner.pk])


def _host_page(folder: Path, live_server, widget_url: str) -> str:
    """The commune's page with the snippet pasted, as the management page gives it."""
    (folder / "salles.html").write_text(
        f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Mairie de Denain — Salles</title></head>
<body><h1>Réserver une salle municipale</h1>
<iframe src="{widget_url}" title="Salles libres — Denain" width="100%" height="640"
 loading="lazy" data-locaux-communs-widget></iframe>
<script src="{live_server.url}/static/bookings/widget-embed.js" defer></script>
</body></html>""",
        encoding="utf-8",
    )
    return "salles.html"


def test_the_widget_shows_in_the_page_of_a_registered_website(
    page: Page, live_server, commune_website, widget_url, site
):
    origin, folder = commune_website
    WidgetOrigin.objects.create(organisation=site.owner, origin=origin)
    path = _host_page(folder, live_server, widget_url)

    page.goto(f"{origin}/{path}")

    frame = page.frame_locator("iframe[data-locaux-communs-widget]")
    expect(frame.get_by_role("heading", level=1)).to_contain_text(site.owner.name, timeout=15_000)
    expect(frame.get_by_role("heading", name="Salle Usinor")).to_be_visible()
    book = frame.get_by_role("link", name="Salle Usinor")
    expect(book).to_have_attribute("target", "_blank")
    assert "/reservations/nouvelle/" in book.get_attribute("href")
    # The vendored script sized the frame to its content (the snippet says 640 px).
    expect(page.locator("iframe[data-locaux-communs-widget]")).to_have_attribute(
        "style", "height: " + str(_content_height(page)) + "px;", timeout=10_000
    )


def _content_height(page: Page) -> int:
    frame = next(f for f in page.frames if "/integration/" in f.url)
    expect(frame.locator("main")).to_be_visible()
    page.wait_for_timeout(300)  # the message crosses to the parent after the layout settles
    height = frame.evaluate(
        "Math.ceil(document.querySelector('main').getBoundingClientRect().bottom + scrollY)"
    )
    return min(max(height, 200), 5000)


def test_chromium_refuses_to_frame_the_widget_for_a_website_not_registered(
    page: Page, live_server, commune_website, widget_url, site
):
    origin, folder = commune_website
    WidgetOrigin.objects.create(organisation=site.owner, origin="https://www.denain.fr")
    path = _host_page(folder, live_server, widget_url)
    refused = []
    page.on("console", lambda message: refused.append(message.text))

    page.goto(f"{origin}/{path}")
    page.wait_for_timeout(1_500)

    frame = next(f for f in page.frames if f is not page.main_frame)
    # chromium shows its own error page in the frame, not the widget.
    assert frame.url.startswith("chrome-error://")
    assert frame.get_by_text("Salle Usinor").count() == 0
    assert any("frame-ancestors" in text for text in refused), refused


def test_the_widget_passes_axe_and_fits_a_phone(page: Page, widget_url):
    page.goto(widget_url)
    expect(page.get_by_role("heading", name="Salle Usinor")).to_be_visible()

    assert check_page(page, "widget", PHONE) == []


def test_the_management_page_passes_axe_and_fits_a_phone(page: Page, live_server, site, settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    admin = MembershipFactory(organisation=site.owner, role=MembershipRole.ADMIN).user
    WidgetOrigin.objects.create(organisation=site.owner, origin="https://www.denain.fr")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", admin.email)
    page.fill("#id_password", "secret-password-42")
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")

    page.goto(live_server.url + reverse("spaces:widget-manage", args=[site.owner.pk]))
    expect(page.locator("#widget-snippet")).to_contain_text("data-locaux-communs-widget")

    assert check_page(page, "widget management", PHONE) == []
