"""The season's manager pages in a real browser (issue 17): at 390 px and at a desk's width,
no page is wider than the screen, axe finds nothing serious, touch targets are big enough
(the checks of test_phone_widths.py) — the arbitration board included."""

from datetime import date, time

import pytest
from playwright.sync_api import Page

from seasons import services
from tests.e2e.test_phone_widths import DESK, PHONE, check_page
from tests.factories import MembershipFactory, OpeningHoursFactory, SpaceFactory, paris
from tests.factories import VerifiedStructureFactory as Structure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _option(space, weekday, start, end):
    return services.OptionInput(weekday=weekday, start=time(start), end=time(end), space=space)


@pytest.fixture
def season(commune, site, commune_staff):
    """A planned campaign over two rooms: ten structures, competing Tuesday evenings, some
    unmet; long names, to test the narrow screen."""
    hall = SpaceFactory(site=site, name="Salle polyvalente Jean-Baptiste Carpeaux", capacity=40)
    room = SpaceFactory(site=site, name="Salle B", capacity=15)
    for space in (hall, room):
        OpeningHoursFactory(space=space, weekday=1, opens=time(8), closes=time(22))
    campaign = services.campaign_create(
        actor=commune_staff,
        owner=commune.organisation,
        terms=services.CampaignTerms(
            title="Saison 2027–2028 des salles municipales",
            school_year=2027,
            opens_on=date(2026, 12, 1),
            deadline=paris(2027, 3, 31, 12),
            spaces=[hall, room],
            hours_per_week=4,
        ),
    )
    services.campaign_open(campaign=campaign, actor=commune_staff)
    for index in range(10):
        structure = Structure(name=f"Association sportive et culturelle du quartier n° {index}")
        services.wish_submit(
            actor=MembershipFactory(organisation=structure).user,
            campaign=campaign,
            structure=structure,
            rank=1,
            attendees=10,
            purpose="Entraînement hebdomadaire des adhérents",
            activity="sport",
            period="year" if index % 2 else "term_1",
            options=[_option(hall, 1, 18, 20), _option(room, 1, 16 + index % 4, 18 + index % 4)],
        )
    services.campaign_close(campaign=campaign, actor=commune_staff)
    services.plan_run(campaign=campaign, actor=commune_staff)
    commune_staff.set_password("demo")
    commune_staff.save()
    return campaign


def test_season_pages_fit_a_phone_and_pass_axe(page: Page, live_server, season, commune_staff):
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(commune_staff.email)
    page.locator("#id_password").fill("demo")
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")
    assignment = season.plan_runs.get().assignments.order_by("pk").first()
    paths = [
        "/saisons/",
        "/saisons/nouvelle/",
        f"/saisons/{season.pk}/",
        f"/saisons/{season.pk}/plan/",
        f"/saisons/{season.pk}/arbitrage/",
        f"/saisons/{season.pk}/arbitrage/deplacer/?voeu={assignment.pk}",
    ]
    failures = []
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 200, path
        assert page.url == f"{live_server.url}{path}"  # not sent to the login page
        for viewport in (PHONE, DESK):
            failures += check_page(page, path, viewport)

    assert failures == []
    page.goto(f"{live_server.url}/saisons/{season.pk}/arbitrage/")
    assert page.get_by_role("region", name="Créneaux hebdomadaires de Salle B").is_visible()
