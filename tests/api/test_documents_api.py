"""Invoices, aid reports, the budget annex and the valuation certificate through the API.

The files are those of the pages (same functions: payments.services.documents,
reports.exports), with the same permissions: what one may not see is a 404, anonymous a 403.
The annex as a PDF is rendered by a job: 202 with the document, its status, then its file.
"""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from payments.models import Payment, PaymentStatus
from payments.services.documents import invoice_issue_for_payment
from reports.models import DocumentStatus, GeneratedDocument
from spaces.models import SpaceKind
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
    agreement_signed,
    booking_request_for,
    paris,
)
from tests.helpers import response_bytes

pytestmark = pytest.mark.usefixtures("frozen_clock")

INVOICES = reverse("api:invoice-list")
AID_CSV = reverse("api:aid-csv")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def payer(territory_admin):
    structure = StructureFactory(
        name="Repair Café", verified_at=timezone.now(), verified_by=territory_admin
    )
    return MembershipFactory(
        organisation=structure, user=UserFactory(email="payer@example.test")
    ).user


@pytest.fixture
def invoice(payer, space):
    booking = booking_request_for(
        space=space, requested_by=payer, start=paris(2027, 1, 12, 9), end=paris(2027, 1, 12, 11)
    )
    payment = Payment.objects.create(
        booking=booking,
        owner=space.site.owner,
        amount_cents=3000,
        captured_cents=3000,
        status=PaymentStatus.CAPTURED,
        hold_first=False,
    )
    return invoice_issue_for_payment(payment=payment)


@pytest.fixture
def aided(territory_admin, site):
    """A verified structure with a free agreement on a 23,000 €/year office over 2025."""
    structure = StructureFactory(
        name="Mobilité Solidaire",
        rna="W595000123",
        verified_at=timezone.now(),
        verified_by=territory_admin,
    )
    office = SpaceFactory(
        site=site,
        name="Bureau 12",
        kind=SpaceKind.OFFICE,
        surface_m2=Decimal("100"),
        reference_rent=Decimal("230"),
        allocatable=True,
        bookable=False,
    )
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[office],
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )
    return structure


# --- Invoices ---


def test_the_payer_lists_the_invoice_and_reads_its_pdf(client, payer, invoice):
    client.force_login(payer)

    body = client.get(INVOICES).json()

    assert body["count"] == 1
    [row] = body["results"]
    assert row["number"] == invoice.number
    assert row["amount_cents"] == 3000
    assert row["kind"] == "invoice"
    response = client.get(row["pdf"], HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="facture-{invoice.number}.pdf"' in response["Content-Disposition"]
    assert invoice.number in pdf_text(response.content)


def test_the_collectors_staff_reads_the_invoice(client, commune_staff, invoice):
    client.force_login(commune_staff)

    assert client.get(INVOICES).json()["count"] == 1
    assert client.get(reverse("api:invoice-pdf", args=[invoice.pk])).status_code == 200


def test_an_outsider_sees_no_invoice_and_its_pdf_is_a_json_404(client, outsider, invoice):
    client.force_login(outsider)

    assert client.get(INVOICES).json()["count"] == 0
    response = client.get(
        reverse("api:invoice-pdf", args=[invoice.pk]), HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_anonymous_gets_403_on_invoices(client, invoice):
    assert client.get(INVOICES).status_code == 403
    assert client.get(reverse("api:invoice-pdf", args=[invoice.pk])).status_code == 403


# --- Aid reports ---


def test_aid_csv_is_the_pages_file(client, commune_staff, aided):
    client.force_login(commune_staff)

    api = client.get(AID_CSV, {"year": 2025})
    page = client.get(reverse("reports:aid-csv"), {"annee": 2025})

    assert api.status_code == 200
    assert api["Content-Type"] == "text/csv; charset=utf-8"
    assert api.content == page.content
    assert api["Content-Disposition"] == page["Content-Disposition"]
    assert "Mobilité Solidaire" in api.content.decode("utf-8-sig")


def test_aid_csv_is_a_404_for_a_structure_member(client, member, aided):
    client.force_login(member)

    assert client.get(AID_CSV, {"year": 2025}).status_code == 404


@pytest.mark.parametrize("year", ["abc", "100000000000000000000", "1999", "2025\x00", "2025.5"])
def test_aid_csv_refuses_a_bad_year_with_a_400(client, commune_staff, year):
    client.force_login(commune_staff)

    response = client.get(AID_CSV, {"year": year})

    assert response.status_code == 400
    assert list(response.json()) == ["year"]


def test_annex_csv_is_the_pages_file(client, commune_staff, commune, aided):
    client.force_login(commune_staff)

    api = client.get(reverse("api:annex-csv", args=[commune.pk]), {"year": 2025})
    page = client.get(reverse("reports:annex-csv", args=[commune.pk, 2025]))

    assert api.status_code == 200
    assert api.content == page.content
    assert api["Content-Disposition"] == page["Content-Disposition"]


def test_annex_csv_of_another_commune_is_a_404(client, other_commune_staff, commune, aided):
    client.force_login(other_commune_staff)

    response = client.get(reverse("api:annex-csv", args=[commune.pk]), {"year": 2025})

    assert response.status_code == 404


def test_annex_csv_of_an_unknown_or_hostile_commune_is_a_404(client, territory_admin):
    client.force_login(territory_admin)

    for insee in ("99999", "x" * 5000, "%0A", "59172%00", "59172%20"):
        response = client.get(f"/api/v1/communes/{insee}/annex/csv/")
        assert response.status_code == 404, insee
        response = client.post(
            f"/api/v1/communes/{insee}/annex/pdf/", {"year": 2025}, "application/json"
        )
        assert response.status_code == 404, insee
    assert not GeneratedDocument.objects.exists()


# --- The annex as a PDF: request, status, file ---


def test_annex_pdf_request_status_and_download(
    client, commune_staff, commune, aided, django_capture_on_commit_callbacks
):
    client.force_login(commune_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api:annex-pdf", args=[commune.pk]), {"year": 2025}, "application/json"
        )

    assert response.status_code == 202
    document = GeneratedDocument.objects.get()
    assert response["Location"].endswith(reverse("api:document-detail", args=[document.pk]))
    status = client.get(response.json()["url"]).json()
    assert status["status"] == "ready"
    assert status["commune"] == commune.pk
    assert status["year"] == 2025
    file = client.get(status["file"])
    assert file["Content-Type"] == "application/pdf"
    text = pdf_text(response_bytes(file))
    assert "commune de Denain (code INSEE 59172)" in text
    assert "Mobilité Solidaire" in text


def test_a_pending_document_has_no_file_yet(client, commune_staff, commune):
    client.force_login(commune_staff)

    body = client.post(
        reverse("api:annex-pdf", args=[commune.pk]), {"year": 2025}, "application/json"
    ).json()

    assert body["status"] == DocumentStatus.PENDING
    assert body["file"] is None
    document = GeneratedDocument.objects.get()
    assert client.get(reverse("api:document-file", args=[document.pk])).status_code == 404
    # The same request while it is prepared answers the same document.
    again = client.post(
        reverse("api:annex-pdf", args=[commune.pk]), {"year": 2025}, "application/json"
    )
    assert again.json()["id"] == document.pk


def test_annex_pdf_of_another_commune_is_a_404_and_asks_for_nothing(
    client, other_commune_staff, commune
):
    client.force_login(other_commune_staff)

    response = client.post(
        reverse("api:annex-pdf", args=[commune.pk]), {"year": 2025}, "application/json"
    )

    assert response.status_code == 404
    assert not GeneratedDocument.objects.exists()


@pytest.mark.parametrize("year", [10**20, "abc", 1999, None, [2025]])
def test_annex_pdf_refuses_a_bad_year_with_a_400(client, commune_staff, commune, year):
    client.force_login(commune_staff)

    response = client.post(
        reverse("api:annex-pdf", args=[commune.pk]), {"year": year}, "application/json"
    )

    assert response.status_code == 400
    assert not GeneratedDocument.objects.exists()


def test_another_users_document_is_a_404(client, commune_staff, commune):
    colleague = MembershipFactory(organisation=commune.organisation).user
    client.force_login(commune_staff)
    document_pk = client.post(
        reverse("api:annex-pdf", args=[commune.pk]), {"year": 2025}, "application/json"
    ).json()["id"]
    client.force_login(colleague)

    assert client.get(reverse("api:document-detail", args=[document_pk])).status_code == 404


# --- The valuation certificate ---


def test_a_member_downloads_their_structures_certificate(client, aided):
    member = MembershipFactory(organisation=aided).user
    client.force_login(member)

    response = client.get(reverse("api:certificate-pdf", args=[aided.pk]), {"year": 2025})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"attestation_valorisation_{aided.pk}_2025.pdf" in response["Content-Disposition"]
    assert "Mobilité Solidaire" in pdf_text(response.content)


def test_the_certificate_of_another_structure_is_a_404(client, outsider, aided):
    client.force_login(outsider)

    response = client.get(reverse("api:certificate-pdf", args=[aided.pk]), {"year": 2025})

    assert response.status_code == 404


def test_the_certificate_refuses_a_bad_year_with_a_400(client, territory_admin, aided):
    client.force_login(territory_admin)

    response = client.get(reverse("api:certificate-pdf", args=[aided.pk]), {"year": 10**20})

    assert response.status_code == 400
