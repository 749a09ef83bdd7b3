"""A structure's season pages in a real browser (Debian's chromium), at a phone's width (390 px)
with axe on every page: the open campaigns, the wish form whose live count changes as a choice
is typed (seasons/competition.js), and the list of wishes after sending.

The live server runs in another thread, where a frozen clock does not hold: the campaign's
deadline is a month from the real now."""

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from seasons import services
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401 (Debian's chromium)
from tests.e2e.test_phone_widths import PHONE, check_page
from tests.seasons.conftest import campaign_opened_now, submit, tuesday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_a_phone(page: Page) -> None:
    """No wider than the phone, no serious axe violation, touch targets of 44 px
    (tests/e2e/test_phone_widths.py)."""
    assert check_page(page, page.url, PHONE) == []


def log_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


@pytest.fixture
def open_campaign(commune, commune_staff, hall, small_room):
    return campaign_opened_now(commune, commune_staff, [hall, small_room])


def test_a_member_asks_for_a_slot_on_a_phone_and_sees_the_competition_live(
    page: Page, live_server, open_campaign, hall, applicant, applicant_structure, rival
):
    submit(open_campaign, rival, rival.memberships.get().organisation, tuesday(hall, 19, 21))
    page.set_viewport_size(PHONE)
    log_in(page, live_server, applicant)

    page.goto(f"{live_server.url}/saisons/demandes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Saisons")
    fits_a_phone(page)
    page.get_by_role("link", name="Mes vœux dans cette campagne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saison 2027–2028")
    fits_a_phone(page)

    page.get_by_role("link", name="Ajouter un vœu").click()
    fits_a_phone(page)
    page.get_by_label("Objet").fill("Judo enfants")
    page.get_by_label("Type d’activité").select_option("sport")
    page.get_by_label("Participants").fill("12")
    page.locator("#id_option-1-weekday").select_option("1")
    page.locator("#id_option-1-start").fill("18:00")
    page.locator("#id_option-1-end").fill("20:00")
    page.locator("#id_option-1-place").select_option(f"space:{hall.pk}")
    expect(page.locator("#option-1-competition")).to_have_text("1 autre demande sur ce créneau")
    page.get_by_role("button", name="Envoyer le vœu").click()

    expect(page.get_by_text("Votre vœu est envoyé.")).to_be_visible()
    expect(page.get_by_text("Vœu n° 1 : Judo enfants")).to_be_visible()
    expect(page.get_by_text("1 autre demande sur ce créneau")).to_be_visible()
    fits_a_phone(page)


def test_after_publication_a_member_sees_their_slots_and_the_give_back_form_on_a_phone(
    page: Page, live_server, open_campaign, commune_staff, hall, applicant, applicant_structure
):
    submit(open_campaign, applicant, applicant_structure, tuesday(hall))
    services.campaign_close(campaign=open_campaign, actor=commune_staff)
    services.plan_run(campaign=open_campaign, actor=commune_staff)
    services.campaign_decide(
        campaign=open_campaign,
        actor=commune_staff,
        decided_on=timezone.localdate(),
        deliberation_reference="DEL-2027-042",
    )
    services.campaign_publish(campaign=open_campaign, actor=commune_staff)
    page.set_viewport_size(PHONE)
    log_in(page, live_server, applicant)

    page.goto(f"{live_server.url}/saisons/demandes/{open_campaign.pk}/")
    expect(page.get_by_text("Satisfait", exact=True)).to_be_visible()
    fits_a_phone(page)
    page.get_by_role("link", name="Mes créneaux, leurs dates et leur calendrier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes créneaux")
    fits_a_phone(page)
    page.get_by_role("link", name="Rendre ce créneau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendre un créneau")
    fits_a_phone(page)
