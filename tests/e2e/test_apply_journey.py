"""Applying to the demo call for applications, in a real browser.

A visitor reads the call published by the demo (portal/demo.py: lots, criteria, documents,
deadline); the SCIC's member signs in, starts an application, sees what is missing, fills it in
(project, needs, two ranked lots, statutes and insurance certificate), sees that nothing is
missing any more and sends it; the intercommunality's administrator, who runs the call, finds
it on the side-by-side ranking, unscored, next to the two applications the demo scored.

French wording comes from locale/fr/LC_MESSAGES/django.po.
"""

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from calls.models import Application, ApplicationStatus, Call
from calls.rules import DEFAULT_CRITERIA, MAX_MARK
from portal import demo
from tests.e2e.test_booking_journey import assert_no_serious_axe_violations, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCIC = "SCIC Les Forges Solidaires (démo)"
ASSOCIATION = "Mobilité Solidaire Hainaut (démo)"
WORKSHOP = "Atelier Chantier d'Insertion Val d'Escaut (démo)"
GRANDS_BUREAUX = "Les Grands Bureaux — pôle ESS (démo)"
PROJECT = "Tiers-lieu de réparation et d’autoproduction (parcours e2e)."
SCIC_LOTS = ["Bureau 201", "Bureau 103"]  # by preference
# msgstr of the French catalogue.
STATUTES = "Statuts"
INSURANCE = "Attestation d’assurance"
DRAFT = "Brouillon"
SUBMITTED = "Déposée"
OPEN = "Ouvert aux candidatures"  # "Open for applications"
NOT_SCORED = "notation incomplète"  # "not fully scored"
MISSING_BEFORE = [
    "Décrivez votre projet.",
    "Classez au moins un lot.",
    f"Joignez cette pièce : {STATUTES}.",
    f"Joignez cette pièce : {INSURANCE}.",
]


def demo_total(structure_key: str) -> Fraction:
    """The weighted total of a demo application: weight × mean mark ÷ 10, summed."""
    (marks,) = [marks for key, _lots, _p, marks in demo.APPLICATIONS if key == structure_key]
    per_reviewer = list(marks.values())
    return sum(
        Fraction(weight) * Fraction(sum(m[i] for m in per_reviewer), len(per_reviewer) * MAX_MARK)
        for i, (_name, weight, _description) in enumerate(DEFAULT_CRITERIA)
    )


def french(value) -> str:
    with translation.override("fr"):
        if isinstance(value, Fraction):
            # As the ranking shows it: {{ total|floatformat:"-2" }}.
            return floatformat(Decimal(value.numerator) / Decimal(value.denominator), "-2")
        return formats.date_format(timezone.localtime(value), "l j F Y, H:i")


def table_rows(table) -> list[list[str]]:
    return [
        [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for row in table.locator("tbody tr").all()
    ]


def test_apply_to_the_demo_call_and_see_it_ranked(
    page: Page, live_server, demo_territory, browser_log
):
    page.set_default_timeout(5_000)
    call = Call.objects.get(title=demo.CALL["title"])
    association_total, workshop_total = demo_total("asso"), demo_total("aci")
    assert (association_total, workshop_total) == (Fraction("71.25"), Fraction("74.25"))

    # --- 1. Anonymous: the call is listed; its page shows lots, criteria, documents, deadline.
    page.goto(f"{live_server.url}/appels/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Appels à candidatures")
    card = page.locator(".card", has=page.get_by_role("link", name=call.title, exact=True))
    expect(card).to_have_count(1)
    expect(card.locator(".badge")).to_have_text(OPEN)
    expect(card).to_contain_text(french(call.deadline))
    with page.expect_navigation():
        card.get_by_role("link", name=call.title, exact=True).click()
    assert page.url == f"{live_server.url}/appels/{call.pk}/"
    expect(page.get_by_role("heading", level=1)).to_have_text(call.title)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(french(call.deadline))
    lots = page.locator("table", has=page.locator("caption", has_text=re.compile("^Lots$")))
    expect(lots.locator("tbody th")).to_have_text(demo.CALL["lots"])
    for row in lots.locator("tbody tr").all():
        expect(row).to_contain_text(f"{GRANDS_BUREAUX}, Denain")
    documents = page.get_by_role("heading", level=2, name="Pièces à fournir")
    expect(documents.locator("xpath=following-sibling::ul[1]/li")).to_have_text(
        [STATUTES, INSURANCE]
    )
    grid = page.locator("table", has=page.locator("caption", has_text="Grille publiée le"))
    assert table_rows(grid) == [
        [name, description, str(weight)] for name, weight, description in DEFAULT_CRITERIA
    ]
    assert [w for _n, w, _d in DEFAULT_CRITERIA] == [25, 20, 15, 15, 15, 10]
    expect(grid.locator("tfoot td")).to_have_text("100")
    sign_in_link = page.get_by_role("link", name="Se connecter pour candidater")
    expect(sign_in_link).to_be_visible()
    assert_no_serious_axe_violations(page)

    # --- 2. The SCIC's member signs in and starts an application from the call page.
    sign_in(page, live_server, "gestionnaire@demo.test")
    page.goto(f"{live_server.url}{call.get_absolute_url()}")
    with page.expect_navigation():
        page.locator("#apply-heading + p").get_by_role("link", name="Candidater").click()
    expect(page.get_by_label("Structure candidate").locator("option:checked")).to_have_text(SCIC)
    with page.expect_navigation():
        page.get_by_role("button", name="Commencer ma candidature").click()
    expect(page.locator(".messages")).to_contain_text("Votre brouillon de candidature est ouvert")
    application = Application.objects.get(call=call, structure__name=SCIC)
    assert application.status == ApplicationStatus.DRAFT
    edit_url = f"{live_server.url}/appels/candidatures/{application.pk}/modifier/"
    detail_url = f"{live_server.url}/appels/candidatures/{application.pk}/"
    assert page.url == edit_url

    # The draft's page, before anything is filled in: what is missing.
    with page.expect_navigation():
        page.get_by_role("navigation", name="Fil d’Ariane").get_by_role(
            "link", name=call.title
        ).click()
    assert page.url == detail_url
    expect(page.locator(".badge")).to_have_text(DRAFT)
    before = page.locator("section", has=page.get_by_role("heading", name="Avant l’envoi"))
    expect(before).to_contain_text("Ce qui manque :")
    expect(before.locator("li")).to_have_text(MISSING_BEFORE)
    expect(page.get_by_role("button", name="Envoyer ma candidature")).to_have_count(0)
    assert_no_serious_axe_violations(page)

    # Fill it in: project, needs, two lots by preference, the two required documents.
    with page.expect_navigation():
        before.get_by_role("link", name="Compléter ma candidature").click()
    assert page.url == edit_url
    assert_no_serious_axe_violations(page)
    page.get_by_label("Votre projet").fill(PROJECT)
    page.get_by_label("Surface souhaitée (m²)").fill("30")
    page.get_by_label("Type d’espace souhaité").select_option(label="Bureau")
    wanted_start = date(timezone.localdate().year + 1, 3, 1)
    page.get_by_label("Souhaité à partir du").fill(f"{wanted_start:%Y-%m-%d}")
    page.get_by_label("Durée (mois)").fill("36")
    for rank, name in enumerate(SCIC_LOTS, start=1):
        choice = page.get_by_label(f"Choix n° {rank}", exact=True)
        option = choice.locator("option", has_text=re.compile(rf"^\d\. {name} — "))
        choice.select_option(label=option.inner_text())
    expect(page.get_by_label("Choix n° 3", exact=True).locator("option:checked")).to_have_text("—")
    attached = page.get_by_role("group", name="Pièces jointes")
    attached.get_by_role("checkbox", name=re.compile(f"^{STATUTES}")).check()
    attached.get_by_role("checkbox", name=re.compile(f"^{INSURANCE}")).check()
    # A SCIC does not subscribe to the republican commitment contract.
    expect(page.locator("#id_republican_commitment")).to_have_count(0)
    expect(page.get_by_role("group", name="Contrat d’engagement républicain")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer le brouillon").click()
    assert page.url == detail_url
    expect(page.locator(".messages")).to_contain_text("Votre brouillon est enregistré.")
    expect(before).to_contain_text("Rien ne manque.")
    expect(before.locator("li")).to_have_count(0)
    expect(page.locator(".prose")).to_contain_text(PROJECT)
    preferences = page.get_by_role("heading", level=2, name="Lots, par ordre de préférence")
    expect(preferences.locator("xpath=following-sibling::ol[1]/li")).to_have_text(
        [re.compile(rf"^{name} — {re.escape(GRANDS_BUREAUX)}, Denain$") for name in SCIC_LOTS]
    )
    pieces = page.get_by_role("heading", level=2, name="Documents", exact=True)  # by kind
    expect(pieces.locator("xpath=following-sibling::ul[1]/li")).to_have_text(
        [re.compile(rf"^{INSURANCE} — valable jusqu’au \d\d/\d\d/\d{{4}}$"), STATUTES]
    )
    assert_no_serious_axe_violations(page)

    # Send it, after reading the summary and that it can no longer change.
    with page.expect_navigation():
        page.get_by_role("link", name="Relire et envoyer ma candidature").click()
    expect(page.locator(".confirm-warning")).to_contain_text("vous ne pourrez plus modifier")
    expect(page.locator(".prose")).to_contain_text(PROJECT)
    assert_no_serious_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer ma candidature").click()
    assert page.url == detail_url
    expect(page.locator(".messages")).to_contain_text("Votre candidature est envoyée.")
    expect(page.locator(".badge")).to_have_text(SUBMITTED)
    expect(page.get_by_role("heading", name="Avant l’envoi")).to_have_count(0)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    page.goto(f"{live_server.url}/appels/{call.pk}/")
    expect(page.locator("#apply-heading + ul li")).to_have_text(
        f"Candidature de {SCIC} — {SUBMITTED}"
    )
    sign_out(page)

    # --- 3. The intercommunality's administrator, who runs the call: the ranking.
    sign_in(page, live_server, "admin@demo.test")
    page.goto(f"{live_server.url}/appels/{call.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Gérer cet appel").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Classement", exact=True).click()
    assert page.url == f"{live_server.url}/appels/{call.pk}/classement/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Classement de {call.title}")
    expect(page.locator("main")).to_contain_text("Totaux pondérés sur 100 points")

    association, workshop = french(association_total), french(workshop_total)
    assert (association, workshop) == ("71,25", "74,25")

    def lot_rows(position: int, name: str) -> list[list[str]]:
        heading = page.get_by_role(
            "heading", level=2, name=f"Lot {position} : {name} ({GRANDS_BUREAUX})"
        )
        expect(heading).to_be_visible()
        return table_rows(heading.locator("xpath=following::table[1]"))

    assert lot_rows(1, "Bureau 103") == [
        ["1", ASSOCIATION, association, "choix n° 1", SUBMITTED],
        ["—", SCIC, NOT_SCORED, "choix n° 2", SUBMITTED],
    ]
    assert lot_rows(2, "Bureau 201") == [
        ["1", WORKSHOP, workshop, "choix n° 2", SUBMITTED],
        ["2", ASSOCIATION, association, "choix n° 2", SUBMITTED],
        ["—", SCIC, NOT_SCORED, "choix n° 1", SUBMITTED],
    ]
    assert lot_rows(3, "Atelier textile") == [
        ["1", WORKSHOP, workshop, "choix n° 1", SUBMITTED],
    ]
    assert_no_serious_axe_violations(page)

    # --- 4. Nothing broke and nothing left the server.
    assert browser_log["page_errors"] == []
    # Chromium asks for /favicon.ico by itself; the site has none (a 404, not a page defect).
    console_errors = [e for e in browser_log["console_errors"] if "/favicon.ico" not in e]
    assert console_errors == []
    assert browser_log["foreign_requests"] == []
