import re

import pytest
from django.urls import reverse

# Pages built on base.html, and whether they need a signed-in user.
PAGES = [
    ("portal:home", False),
    ("portal:accessibility", False),
    ("portal:dashboard", True),
    ("spaces:catalogue", False),
    ("accounts:login", False),
    ("accounts:signup", False),
    ("accounts:structure-register", True),
]


def _html(client, outsider, url_name: str, needs_login: bool) -> str:
    if needs_login:
        client.force_login(outsider)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    return response.content.decode()


def _footer(html: str) -> str:
    match = re.search(r"<footer\b.*?</footer>", html, flags=re.DOTALL)
    assert match, "no footer"
    return match.group(0)


# --- Accessibility statement and page layout ----------------------------------------------


def test_accessibility_page_renders_statement(client, db):
    response = client.get("/accessibilite/")

    assert response.status_code == 200
    assert "portal/accessibility.html" in [template.name for template in response.templates]


@pytest.mark.parametrize(("url_name", "needs_login"), PAGES)
def test_page_footer_links_to_accessibility_statement(client, outsider, url_name, needs_login):
    html = _html(client, outsider, url_name, needs_login)

    assert 'href="/accessibilite/"' in _footer(html)


def test_not_found_page_footer_links_to_accessibility_statement(client, db):
    response = client.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    assert 'href="/accessibilite/"' in _footer(response.content.decode())


@pytest.mark.parametrize(("url_name", "needs_login"), PAGES)
def test_page_declares_french_language(client, outsider, url_name, needs_login):
    html = _html(client, outsider, url_name, needs_login)

    assert '<html lang="fr">' in html


@pytest.mark.parametrize(("url_name", "needs_login"), PAGES)
def test_page_skip_link_leads_to_main_content(client, outsider, url_name, needs_login):
    html = _html(client, outsider, url_name, needs_login)

    skip_link = re.search(r"<a\b[^>]*>", html.split("<body>", 1)[1]).group(0)  # first link
    assert 'href="#contenu"' in skip_link
    assert re.search(r'<main\b[^>]*\bid="contenu"', html)


def test_page_language_ignores_browser_preference(client, db):
    response = client.get(reverse("portal:home"), headers={"accept-language": "en"})

    assert '<html lang="fr">' in response.content.decode()


def test_page_language_follows_language_switcher_choice(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("portal:home"))

    assert '<html lang="en">' in response.content.decode()


# --- Dashboard -----------------------------------------------------------------------------


def test_dashboard_sends_anonymous_visitor_to_login(client, db):
    response = client.get("/tableau-de-bord/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/tableau-de-bord/"


def test_dashboard_lists_user_organisations(client, member, structure):
    client.force_login(member)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["organisations"]) == [structure]


def test_dashboard_lists_sites_the_user_manages(client, facilities_manager, site, other_site):
    client.force_login(facilities_manager)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["managed_sites"]) == [site]


def test_dashboard_shows_pending_structures_to_territory_admin(client, territory_admin, structure):
    client.force_login(territory_admin)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["pending_structures"]) == [structure]


def test_dashboard_hides_pending_structures_from_other_users(client, member, structure):
    client.force_login(member)

    response = client.get(reverse("portal:dashboard"))

    assert response.context["pending_structures"] is None
