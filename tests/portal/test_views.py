import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls import services as calls_services
from tests.calls.conftest import draft_call, member_of_new_structure
from tests.factories import (
    MembershipFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

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


# --- Home -----------------------------------------------------------------------------------


def test_home_sends_a_signed_in_user_to_their_dashboard(client, member):
    client.force_login(member)

    response = client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")


def test_home_offers_the_public_a_date_first_search(client, db):
    html = client.get(reverse("portal:home")).content.decode()

    form = re.search(
        r'<form method="get" action="/reservations/disponibilites/".*?</form>', html, re.S
    )
    assert form, "no search form towards the availability page"
    for name in ("date", "start_time", "end_time"):  # AvailabilitySearchForm's fields
        assert f'name="{name}"' in form.group(0)


# --- Dashboard -----------------------------------------------------------------------------


def _nav(response) -> str:
    match = re.search(r'<nav class="site-nav".*?</nav>', response.content.decode(), re.S)
    assert match, "no main menu"
    return match.group(0)


def _book(space, user, day: int, hour: int = 10):
    return booking_request_for(
        space=space,
        requested_by=user,
        start=paris(2027, 1, day, hour),
        end=paris(2027, 1, day, hour + 2),
        purpose=f"Réunion du {day}",
    )


def test_dashboard_sends_anonymous_visitor_to_login(client, db):
    response = client.get("/tableau-de-bord/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/tableau-de-bord/"


def test_dashboard_lists_user_organisations(client, member, structure):
    client.force_login(member)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["organisations"]) == [structure]


@pytest.mark.usefixtures("frozen_clock")
def test_dashboard_shows_the_association_its_next_bookings(client, occupant, space):
    bookings = [_book(space, occupant, day) for day in (5, 6, 7, 8, 11, 12)]
    client.force_login(occupant)

    response = client.get(reverse("portal:dashboard"))

    shown = [occupancy.booking for occupancy in response.context["next_bookings"]]
    assert shown == bookings[:5]  # the next five, soonest first
    assert "Réunion du 5" in response.content.decode()


@pytest.mark.usefixtures("frozen_clock")
def test_dashboard_hides_another_structures_bookings(client, occupant, space):
    _book(space, occupant, 5)
    other = MembershipFactory(organisation=VerifiedStructureFactory(name="Repair Café")).user
    client.force_login(other)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["next_bookings"]) == []
    assert "Réunion du 5" not in response.content.decode()


def test_dashboard_gives_the_association_a_date_first_search(client, occupant):
    client.force_login(occupant)

    html = client.get(reverse("portal:dashboard")).content.decode()

    form = re.search(
        r'<form method="get" action="/reservations/disponibilites/".*?</form>', html, re.S
    )
    assert form, "no search form towards the availability page"
    assert 'name="start_time"' in form.group(0)


@pytest.mark.usefixtures("frozen_clock")
def test_dashboard_lists_draft_applications_with_their_deadline(client, commune_staff, office):
    call = draft_call(actor=commune_staff, owner=office.site.owner, spaces=[office])
    calls_services.call_publish(call=call, actor=commune_staff)
    call.refresh_from_db()
    structure, user = member_of_new_structure("Les Amis du Vélo", "velo@example.test")
    calls_services.application_start(call=call, structure=structure, actor=user)
    client.force_login(user)

    response = client.get(reverse("portal:dashboard"))

    assert [a.call for a in response.context["applications_to_complete"]] == [call]
    assert call.title in response.content.decode()


@pytest.mark.usefixtures("frozen_clock")
def test_dashboard_shows_the_manager_requests_to_decide_and_the_week(
    client, facilities_manager, occupant, space
):
    tomorrow = _book(space, occupant, 5)
    later = _book(space, occupant, 20)
    client.force_login(facilities_manager)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["requests_to_decide"]) == [tomorrow, later]
    assert [o.booking for o in response.context["week_bookings"]] == [tomorrow]
    assert reverse("bookings:pending") in response.content.decode()


def test_dashboard_lists_sites_the_user_manages(client, facilities_manager, site, other_site):
    client.force_login(facilities_manager)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["sites"]) == [site]


def test_dashboard_shows_a_manager_no_requester_sections(client, facilities_manager):
    client.force_login(facilities_manager)

    response = client.get(reverse("portal:dashboard"))

    assert "next_bookings" not in response.context
    assert "structures_to_verify" not in response.context


def test_dashboard_shows_commune_staff_their_vacant_spaces(client, commune_staff, office, site):
    client.force_login(commune_staff)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["vacancies"]) == [office]
    assert list(response.context["sites"]) == [site]


def test_dashboard_shows_pending_structures_to_territory_admin(client, territory_admin, structure):
    client.force_login(territory_admin)

    response = client.get(reverse("portal:dashboard"))

    assert list(response.context["structures_to_verify"]) == [structure]


def test_dashboard_hides_pending_structures_from_other_users(client, member, structure):
    client.force_login(member)

    response = client.get(reverse("portal:dashboard"))

    assert "structures_to_verify" not in response.context
    assert reverse("accounts:structures-to-verify") not in response.content.decode()


@pytest.mark.usefixtures("frozen_clock")
def test_dashboard_of_an_association_costs_the_same_queries_with_more_bookings(
    client, occupant, space
):
    client.force_login(occupant)
    _book(space, occupant, 5)
    client.get(reverse("portal:dashboard"))  # warm-up
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("portal:dashboard"))
    for day in range(6, 30):
        _book(space, occupant, day)

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("portal:dashboard"))

    assert len(many) == len(one)


# --- Menus per role ----------------------------------------------------------------------


def test_menu_of_an_association_leads_to_its_bookings_and_payments(client, occupant):
    client.force_login(occupant)

    nav = _nav(client.get(reverse("portal:dashboard")))

    for name in (
        "bookings:availability",
        "bookings:booking-list",
        "calls:application-list",
        "seasons:apply-list",
        "payments:payment-list",
    ):
        assert f'href="{reverse(name)}"' in nav
    assert reverse("reports:index") not in nav  # no budget reports for an association
    assert reverse("bookings:pending") not in nav


@pytest.mark.usefixtures("frozen_clock")
def test_menu_of_a_manager_counts_the_requests_to_decide(
    client, facilities_manager, occupant, space
):
    _book(space, occupant, 5)
    _book(space, occupant, 6)
    client.force_login(facilities_manager)

    nav = _nav(client.get(reverse("portal:dashboard")))

    assert re.search(r'href="/reservations/a-traiter/"[^>]*>[^<]*<span class="nav-count">2<', nav)
    assert reverse("payments:payment-list") not in nav


def test_menu_of_the_intercommunality_leads_to_structures_calls_reports_journal(
    client, territory_admin
):
    client.force_login(territory_admin)

    nav = _nav(client.get(reverse("portal:dashboard")))

    for name in (
        "accounts:structures-to-verify",
        "calls:call-manage-list",
        "reports:index",
        "reports:journal",
    ):
        assert f'href="{reverse(name)}"' in nav


def test_menu_of_commune_staff_leads_to_premises_and_requests(client, commune_staff):
    client.force_login(commune_staff)

    nav = _nav(client.get(reverse("portal:dashboard")))

    assert f'href="{reverse("portal:dashboard")}#mes-locaux"' in nav
    assert f'href="{reverse("bookings:pending")}"' in nav
    assert reverse("reports:journal") not in nav


def test_menu_is_a_disclosure_for_phones(client, db):
    nav = client.get(reverse("portal:home")).content.decode()

    assert re.search(r'<details class="nav-menu" open>\s*<summary[^>]*>Menu</summary>', nav)
