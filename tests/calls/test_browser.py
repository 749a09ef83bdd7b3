"""Applying to a call in a real browser (Debian's chromium), with axe on every page.

An association member finds the call, starts an application, fills it in (project, ranked lots,
documents, republican commitment), sees that nothing is missing and sends it; the reviewer
declares no conflict of interest and scores it; the manager sees the ranking and accepts it.

The live server runs in another thread, where a frozen clock does not hold: the call's deadline
is a month from the real today. French wording comes from locale/fr/LC_MESSAGES/django.po.
"""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls import services
from calls.models import ApplicationStatus, Score
from tests.calls.conftest import documents_of, draft_call
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401 (Debian's chromium)
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "secret-password-42"  # tests.factories.UserFactory

_axe = Axe()


def assert_accessible(page: Page) -> None:
    results = _axe.run(page)
    serious = [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe on {page.url}: {serious}\n{results.generate_report()}"
    duplicates = page.evaluate(
        "() => { const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);"
        " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
    )
    assert duplicates == [], f"duplicate ids on {page.url}: {duplicates}"


def sign_in(page: Page, live_server, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


@pytest.fixture
def open_call(commune_staff, commune, site):
    office = SpaceFactory(site=site, name="Bureau 12", kind="office", allocatable=True)
    workshop = SpaceFactory(site=site, name="Atelier 3", kind="workshop", allocatable=True)
    call = draft_call(
        actor=commune_staff,
        owner=commune.organisation,
        spaces=[office, workshop],
        deadline=timezone.now() + timedelta(days=30),
        title="Bureaux vacants aux Grands Bureaux",
    )
    services.call_publish(call=call, actor=commune_staff)
    return call


def test_apply_review_rank_and_accept(page: Page, live_server, open_call, commune_staff):
    association = VerifiedStructureFactory(name="Ressourcerie du Hainaut")
    documents_of(association)
    applicant = MembershipFactory(
        organisation=association, user=UserFactory(email="candidat@example.test")
    ).user
    jury = UserFactory(email="jury@example.test")
    services.reviewer_assign(call=open_call, reviewer=jury, actor=open_call.created_by)

    # The applicant finds the call and applies.
    sign_in(page, live_server, applicant.email)
    page.goto(f"{live_server.url}/appels/")
    assert_accessible(page)
    page.get_by_role("link", name=open_call.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(open_call.title)
    assert_accessible(page)
    page.get_by_role("link", name="Candidater").click()
    assert_accessible(page)
    page.get_by_role("button", name="Commencer ma candidature").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ma candidature")
    assert_accessible(page)
    page.get_by_label("Votre projet").fill("Une ressourcerie avec un atelier de réparation.")
    page.get_by_label("Surface souhaitée (m²)").fill("40")
    page.get_by_label("Choix n° 1").select_option(index=2)  # the workshop (lot 2) first
    page.get_by_label("Choix n° 2").select_option(index=1)
    for checkbox in page.locator("input[name=documents]").all():
        checkbox.check()
    page.get_by_label("Notre structure souscrit").check()
    page.get_by_label("Nom et qualité du signataire").fill("Camille Martin, présidente")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Rien ne manque.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Relire et envoyer ma candidature").click()
    expect(page.get_by_text("vous ne pourrez plus modifier votre candidature")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer ma candidature").click()
    expect(page.get_by_text("Votre candidature est envoyée.")).to_be_visible()
    application = association.applications.get()
    assert application.status == ApplicationStatus.SUBMITTED
    assert [p.lot.space.name for p in application.preferences.all()] == ["Atelier 3", "Bureau 12"]

    # The reviewer declares no conflict of interest and scores.
    sign_in(page, live_server, jury.email)
    page.goto(f"{live_server.url}/appels/{open_call.pk}/evaluation/")
    assert_accessible(page)
    page.get_by_label("Je n’ai de conflit d’intérêts avec aucun candidat").check()
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    page.get_by_role("link", name="Ressourcerie du Hainaut").click()
    assert_accessible(page)
    for field in page.get_by_label("Note de 0 à 10").all():
        field.fill("8")
    page.get_by_role("button", name="Enregistrer mes notes").click()
    expect(
        page.get_by_text("Vos notes pour Ressourcerie du Hainaut sont enregistrées.")
    ).to_be_visible()
    assert Score.objects.filter(reviewer=jury).count() == 2

    # The manager sees the ranking and accepts the application for its first choice.
    sign_in(page, live_server, commune_staff.email)
    page.goto(f"{live_server.url}/appels/{open_call.pk}/gestion/")
    assert_accessible(page)
    page.get_by_role("link", name="Classement").click()
    assert_accessible(page)
    expect(page.locator("table").first).to_contain_text("80")
    page.get_by_role("link", name="Ressourcerie du Hainaut").first.click()
    assert_accessible(page)
    page.get_by_role("button", name="Retenir pour ce lot").click()
    expect(page.get_by_text("La candidature est retenue")).to_be_visible()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.allocated_lot.space.name == "Atelier 3"


def test_draft_adjust_the_grid_and_publish(page: Page, live_server, commune_staff, site):
    SpaceFactory(site=site, name="Bureau 12", kind="office", allocatable=True)

    sign_in(page, live_server, commune_staff.email)
    page.goto(f"{live_server.url}/appels/gestion/nouveau/")
    assert_accessible(page)
    page.get_by_label("Titre").fill("Un bureau pour l'ESS")
    page.get_by_label("Présentation").fill("Un bureau au rez-de-chaussée.")
    page.get_by_label("Conditions d’éligibilité").fill("Structures de l'ESS.")
    page.get_by_label("Bureau 12").check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Critères de")
    assert_accessible(page)
    page.get_by_label("Pondération").first.fill("30")
    page.get_by_role("button", name="Enregistrer les critères").click()
    expect(page.get_by_text("Les critères sont enregistrés.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publier l’appel").click()
    expect(page.get_by_text("L’appel est publié")).to_be_visible()

    call = commune_staff.memberships.get().organisation.calls.get()
    assert call.published_criteria[0]["weight"] == 30
    assert sum(c["weight"] for c in call.published_criteria) == 105
