"""The agreement document: a tagged PDF in French with the parties, the spaces, the legal
mentions and the valuation; served inline to those who see the agreement, 404 to others."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import EssFamily
from bookings import selectors
from bookings.agreement import agreement_filename, agreement_pdf, euros_fr
from bookings.allocations import allocation_accept, allocation_offer, allocation_sign
from bookings.models import FreeUseBasis
from spaces.models import Domain, SpaceKind
from tests.factories import MembershipFactory, SiteFactory, SpaceFactory, StructureFactory
from tests.helpers import FROZEN_NOW

NOW = FROZEN_NOW


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def office(site):
    site.owner.siren = "215901729"
    site.owner.address = "Place Baudin, 59220 Denain"
    site.owner.save()
    site.address_complement = "Bâtiment B"
    site.save()
    return SpaceFactory(
        site=site,
        name="Bureau 12",
        kind=SpaceKind.OFFICE,
        floor=1,
        allocatable=True,
        surface_m2=Decimal("20.5"),
        reference_rent=Decimal("120"),
    )


@pytest.fixture
def association(territory_admin):
    return StructureFactory(
        name="Mobilité Solidaire",
        rna="W595012345",
        address="3 rue de la Gare, 59220 Denain",
        verified_at=timezone.now(),
        verified_by=territory_admin,
    )


@pytest.fixture
def occupant(association):
    return MembershipFactory(organisation=association).user


def _agreement(actor, structure, spaces, **terms):
    terms.setdefault("direct_reason", "Un seul occupant possible")
    allocation = allocation_offer(
        actor=actor,
        structure=structure,
        spaces=spaces,
        start=date(2027, 2, 1),
        end=date(2028, 2, 1),
        **terms,
    )
    return selectors.allocation_detail(user=actor).get(pk=allocation.pk)


def pdf_text(content: bytes) -> str:
    """The PDF's text with runs of white space (no-break ones included) made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.fixture
def free_agreement(facilities_manager, association, office):
    return _agreement(
        facilities_manager,
        association,
        [office],
        free_use_basis=FreeUseBasis.L2125_1,
        deposit_cents=50_000,
    )


def test_euros_are_written_the_french_way():
    assert euros_fr(123_456) == "1\u00a0234,56\u00a0€"
    assert euros_fr(0) == "0,00\u00a0€"
    assert euros_fr(100_000_000) == "1\u00a0000\u00a0000,00\u00a0€"
    assert euros_fr(5) == "0,05\u00a0€"


def test_agreement_pdf_is_a_pdf(free_agreement):
    assert agreement_pdf(free_agreement).startswith(b"%PDF")


def test_agreement_pdf_is_tagged_for_accessibility(free_agreement):
    reader = PdfReader(io.BytesIO(agreement_pdf(free_agreement)))
    root = reader.trailer["/Root"]

    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "fr"


def test_agreement_pdf_names_the_parties_and_their_identifiers(free_agreement, association):
    text = pdf_text(agreement_pdf(free_agreement))

    assert "Mobilité Solidaire" in text
    assert f"SIRET {association.siret}" in text
    assert "RNA W595012345" in text
    assert "3 rue de la Gare, 59220 Denain" in text
    assert free_agreement.owner.name in text
    assert "SIREN 215901729" in text
    assert "Place Baudin, 59220 Denain" in text


def test_agreement_pdf_describes_the_spaces(free_agreement):
    text = pdf_text(agreement_pdf(free_agreement))

    assert "Bureau 12" in text
    assert "Les Grands Bureaux" in text
    assert "12 rue Jean-Jaurès, Bâtiment B" in text
    assert "20,5 m²" in text


def test_agreement_pdf_prints_the_valuation_in_euros(free_agreement):
    text = pdf_text(agreement_pdf(free_agreement))

    # 20.5 m² × 120 €/m²/year = 2 460 € a year; 2027: 334 days of 365, 2028: 31 days of 366
    assert "valorisation annuelle de 2 460,00 €" in text
    assert "art. 9-1" in text or "article 9-1 de la loi n° 2000-321" in text
    assert f"2027 {euros_fr(round(246_000 * 334 / 365))}".replace("\u00a0", " ") in text
    assert f"2028 {euros_fr(round(246_000 * 31 / 366))}".replace("\u00a0", " ") in text


def test_agreement_pdf_gives_the_legal_mentions_of_the_public_domain(free_agreement):
    text = pdf_text(agreement_pdf(free_agreement))

    assert "autorisation d'occupation temporaire du domaine public (CG3P L2122-1 s.)" in text
    assert "précaire et révocable" in text
    assert "L2125-1 du code général de la propriété des personnes publiques" in text
    assert "contrat d'engagement républicain" in text
    assert "dépôt de garantie de 500,00 €" in text
    assert "1er février 2027" in text
    assert "31 janvier 2028" in text


def test_agreement_pdf_of_the_private_domain_says_so(facilities_manager, association, commune):
    private = SiteFactory(commune=commune, domain=Domain.PRIVATE)
    private.managers.add(facilities_manager, through_defaults={"may_commit_owner": True})
    space = SpaceFactory(site=private, allocatable=True, reference_rent=Decimal("100"))
    allocation = _agreement(facilities_manager, association, [space], annual_fee_cents=120_000)

    text = pdf_text(agreement_pdf(allocation))

    assert "convention d'occupation précaire du domaine privé" in text
    assert "domaine public (CG3P" not in text
    assert "redevance annuelle de 1 200,00 €" in text


def test_agreement_pdf_quotes_the_municipal_deliberation_for_l2125_1_2(
    commune_staff, association, office
):
    allocation = _agreement(
        commune_staff,
        association,
        [office],
        free_use_basis=FreeUseBasis.L2125_1_2,
        free_use_reference="délibération n° 2027-045 du 12 mars 2027",
    )

    text = pdf_text(agreement_pdf(allocation))

    assert "L2125-1-2" in text
    assert "délibération n° 2027-045 du 12 mars 2027" in text


def test_agreement_pdf_of_a_cooperative_has_no_republican_commitment(
    facilities_manager, territory_admin, office
):
    scop = StructureFactory(
        name="SCOP Les Ateliers",
        ess_family=EssFamily.SCOP,
        verified_at=timezone.now(),
        verified_by=territory_admin,
    )
    allocation = _agreement(facilities_manager, scop, [office], annual_fee_cents=100_000)

    text = pdf_text(agreement_pdf(allocation))

    assert "contrat d'engagement républicain" not in text
    assert "valorisation annuelle de 1 460,00 €" in text  # 2 460 € − 1 000 € of fee


def test_agreement_pdf_of_a_signed_agreement_gives_the_insurance_and_house_rules(
    free_agreement, facilities_manager, occupant
):
    allocation_accept(
        allocation=free_agreement,
        actor=occupant,
        house_rules_accepted=True,
        insurance_valid_until=date(2027, 12, 31),
    )
    allocation_sign(allocation=free_agreement, actor=facilities_manager)
    allocation = selectors.allocation_detail(user=facilities_manager).get(pk=free_agreement.pk)

    text = pdf_text(agreement_pdf(allocation))

    assert "valable jusqu'au 31 décembre 2027" in text
    assert "l'a accepté le 4 janvier 2027" in text
    assert "signée le 4 janvier 2027" in text
    assert "Projet soumis" not in text


def test_agreement_filename_is_ascii(free_agreement):
    assert agreement_filename(free_agreement) == (
        f"convention-{free_agreement.pk}-mobilite-solidaire.pdf"
    )


# --- The page that serves it ---


def test_agreement_pdf_is_served_inline_to_the_structure(client, free_agreement, occupant):
    client.force_login(occupant)

    response = client.get(reverse("bookings:allocation-pdf", args=[free_agreement.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="convention-{free_agreement.pk}-mobilite-solidaire.pdf"'
    )
    assert response.content.startswith(b"%PDF")


def test_agreement_pdf_is_served_to_the_manager(client, free_agreement, facilities_manager):
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:allocation-pdf", args=[free_agreement.pk]))

    assert response.status_code == 200


def test_agreement_pdf_is_hidden_from_outsiders(client, free_agreement, outsider, member):
    url = reverse("bookings:allocation-pdf", args=[free_agreement.pk])

    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(member)  # another structure
    assert client.get(url).status_code == 404


def test_agreement_pdf_asks_anonymous_visitors_to_sign_in(client, free_agreement):
    response = client.get(reverse("bookings:allocation-pdf", args=[free_agreement.pk]))

    assert response.status_code == 302
    assert "/accounts/" in response["Location"]
