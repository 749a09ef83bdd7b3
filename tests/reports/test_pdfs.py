"""The annex and the certificate are PDFs with the right figures (read back with pypdf)."""

import io
import re

from django.urls import reverse
from pypdf import PdfReader

from tests.helpers import annex_pdf_response, response_bytes


def _text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response_bytes(response)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)  # no-break spaces and line breaks become plain spaces


def test_annex_pdf_lists_beneficiary_premises_and_valuation(
    client, commune_staff, full_year_2025, structure
):
    client.force_login(commune_staff)

    text = _text(annex_pdf_response(client, "59172", 2025))

    assert "Concours attribués en nature et en numéraire — exercice 2025" in text
    assert "commune de Denain (code INSEE 59172)" in text
    assert "L2313-1" in text
    assert structure.name in text
    assert structure.siret in text
    assert "Bureau 12" in text
    assert "du 01/01/2025 au 31/12/2025 (365 jours)" in text
    assert "23 000,00 €" in text


def test_annex_pdf_notes_a_small_commune(client, commune_staff, commune, full_year_2025):
    commune.population = 1_200
    commune.save()
    client.force_login(commune_staff)

    text = _text(annex_pdf_response(client, "59172", 2025))

    assert "moins de 3 500 habitants" in text
    assert "n'est pas obligatoire" in text


def test_annex_pdf_is_tagged_for_accessibility(client, commune_staff, full_year_2025):
    client.force_login(commune_staff)

    response = annex_pdf_response(client, "59172", 2025)

    reader = PdfReader(io.BytesIO(response_bytes(response)))
    catalog = reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"]
    assert catalog["/Lang"] == "fr"
    assert "/StructTreeRoot" in catalog


def test_certificate_pdf_gives_the_amount_for_accounts_86_and_87(
    client, member, structure, full_year_2025
):
    client.force_login(member)

    text = _text(client.get(reverse("reports:certificate", args=[structure.pk, 2025])))

    assert "Attestation de valorisation des contributions volontaires en nature" in text
    assert f"{structure.name} — SIRET {structure.siret} — RNA W595000123" in text
    assert full_year_2025.owner.name in text
    assert "Total à valoriser 23 000,00 €" in text
    assert "compte 86" in text
    assert "compte 87" in text


def test_certificate_pdf_says_when_there_is_nothing_to_value(client, member, structure):
    client.force_login(member)

    text = _text(client.get(reverse("reports:certificate", args=[structure.pk, 2024])))

    assert "Aucune mise à disposition de locaux valorisée sur l'exercice 2024" in text
