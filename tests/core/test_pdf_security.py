"""PDFs never fetch anything but the project's static files (issue 9 §1).

A structure's name once reached a CSS string of the PDF template: a newline closed the string,
and a `url(...)` after it made WeasyPrint request any URL, or embed any file of the server.
These tests render the real documents of a structure with such a name, with a real HTTP
listener on 127.0.0.1 and a real PNG on disk, and check that nothing was requested or embedded.
The names are written through the ORM: the validation of names is tested elsewhere, the PDF
defence must hold on its own.
"""

import http.server
import io
import re
import shutil
import tempfile
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from core.pdf import render_pdf, static_files_fetcher
from payments.models import Invoice, Payment, PaymentStatus
from payments.selectors import collecting_organisation
from payments.services.documents import invoice_issue_for_payment
from spaces.models import SpaceKind
from tests.factories import (
    CommuneFactory,
    MembershipFactory,
    SiteFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    booking_request_for,
)
from tests.helpers import annex_pdf_response, response_bytes
from tests.payments.conftest import slot


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(_png_bytes((0, 128, 255)))

    def log_message(self, *args) -> None:
        pass


def _png_bytes(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (7, 5), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def listener():
    """A real HTTP server on 127.0.0.1 that records every request it receives."""
    handler = type("Handler", (_Recorder,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler.requests
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def secret_png():
    """A file of the server that no PDF may embed (at a short path: names have 100 characters)."""
    directory = Path(tempfile.mkdtemp(prefix="s"))
    path = directory / "s.png"
    path.write_bytes(_png_bytes((255, 0, 0)))
    yield path
    shutil.rmtree(directory)


def hostile(css: str) -> str:
    """A name that closes the CSS string of the old footer and adds a rule of its own."""
    return f'Asso\n}}}} html {{ background: {css} }} x {{ a: "'


def _images(content: bytes) -> list[int]:
    """Every image object in the PDF, wherever it is used (a CSS background is drawn through a
    pattern, which `page.images` does not list)."""
    reader = PdfReader(io.BytesIO(content))
    numbers = [num for objects in reader.xref.values() for num in objects]
    numbers += list(reader.xref_objStm)
    return [
        num
        for num in sorted(set(numbers))
        if getattr(reader.get_object(num), "get", lambda _key: None)("/Subtype") == "/Image"
    ]


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))


def _pdf(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response_bytes(response)


# --- The valuation certificate: the name was in the title, hence in the CSS footer ---


@pytest.fixture
def named_member(db):
    """Returns a factory: a member of a structure with the given name, and the structure."""

    def make(name: str):
        structure = StructureFactory(name=name)
        user = MembershipFactory(organisation=structure, user=UserFactory()).user
        return user, structure

    return make


def test_certificate_of_a_hostile_name_requests_nothing(client, named_member, listener):
    port, requests = listener
    user, structure = named_member(hostile(f"url(http://127.0.0.1:{port}/x)"))
    client.force_login(user)

    _pdf(client.get(reverse("reports:certificate", args=[structure.pk, 2025])))

    assert requests == []


def test_certificate_of_a_hostile_name_embeds_no_local_file(client, named_member, secret_png):
    user, structure = named_member(hostile(f"url({secret_png.as_uri()})"))
    client.force_login(user)

    content = _pdf(client.get(reverse("reports:certificate", args=[structure.pk, 2025])))

    assert _images(content) == []


def test_certificate_footer_still_prints_the_hostile_name_as_text(client, named_member):
    user, structure = named_member(hostile("url(http://127.0.0.1:9/x)"))
    client.force_login(user)

    text = _text(_pdf(client.get(reverse("reports:certificate", args=[structure.pk, 2025]))))

    assert (
        "Attestation de valorisation — Asso }} html { background: url(http://127.0.0.1:9/x) }"
        in text
    )
    assert "— page 1 / 1" in text


def test_certificate_metadata_come_from_the_api_not_the_markup(client, named_member):
    user, structure = named_member("Les <b>Amis</b> & Cie")
    client.force_login(user)

    content = _pdf(client.get(reverse("reports:certificate", args=[structure.pk, 2025])))

    reader = PdfReader(io.BytesIO(content))
    assert reader.metadata.title == (
        "Attestation de valorisation — Les <b>Amis</b> & Cie — exercice 2025"
    )
    assert reader.trailer["/Root"]["/Lang"] == "fr"


# --- The other PDFs: annex (commune name in the title), agreement and invoice ---


def _office(site):
    return SpaceFactory(
        site=site,
        kind=SpaceKind.OFFICE,
        surface_m2=Decimal("100"),
        reference_rent=Decimal("230"),
        allocatable=True,
        bookable=False,
    )


@pytest.fixture
def hostile_agreement(territory_admin, epci):
    """Returns a factory: an agreement where every name users type is `name`."""

    def make(name: str):
        commune = CommuneFactory(insee_code="59999", name=name, epci=epci, population=5_000)
        site = SiteFactory(commune=commune, name=name)
        structure = StructureFactory(
            name=name, verified_at=timezone.now(), verified_by=territory_admin
        )
        return agreement_signed(
            actor=territory_admin,
            structure=structure,
            spaces=[_office(site)],
            start=date(2025, 1, 1),
            end=date(2026, 1, 1),
        )

    return make


def _every_pdf(client, allocation) -> list[bytes]:
    return [
        _pdf(annex_pdf_response(client, "59999", 2025)),
        _pdf(client.get(reverse("bookings:allocation-pdf", args=[allocation.pk]))),
        _pdf(client.get(reverse("reports:certificate", args=[allocation.structure_id, 2025]))),
    ]


def test_annex_agreement_and_certificate_of_hostile_names_request_nothing(
    client, territory_admin, hostile_agreement, listener
):
    port, requests = listener
    allocation = hostile_agreement(hostile(f"url(http://127.0.0.1:{port}/x)"))
    client.force_login(territory_admin)

    _every_pdf(client, allocation)

    assert requests == []


def test_annex_agreement_and_certificate_of_hostile_names_embed_no_local_file(
    client, territory_admin, hostile_agreement, secret_png
):
    allocation = hostile_agreement(hostile(f"url({secret_png.as_uri()})"))
    client.force_login(territory_admin)

    pdfs = _every_pdf(client, allocation)

    assert [_images(content) for content in pdfs] == [[], [], []]


# --- The fetcher itself ---


@pytest.fixture
def fetcher():
    return static_files_fetcher()


def _read(response) -> bytes:
    try:
        return response.read()
    finally:
        response.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.com/x.png",
        "ftp://127.0.0.1/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "file://example.com/static/core/site.css",
        "file:///static/../etc/passwd",
        "file:///static/core/../../../../etc/passwd",
        "file:///static/%2e%2e/%2e%2e/etc/passwd",
        "file:///static/core/missing.png",
        "file:///static/core/site.css%00.png",
        "file:///etc/passwd%00",
        "gopher://127.0.0.1/x",
    ],
)
def test_fetcher_refuses_anything_but_a_static_file(fetcher, url):
    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch(url)


def test_fetcher_refuses_a_file_outside_the_static_files(fetcher, secret_png):
    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch(secret_png.as_uri())


def test_fetcher_refuses_to_climb_out_of_a_static_directory(fetcher):
    site_css = Path(finders.find("core/site.css"))
    climbing = f"{site_css.parent.as_uri()}/../../pdf.py"  # core/pdf.py exists

    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch(climbing)


def test_fetcher_never_connects_to_a_listener(fetcher, listener):
    port, requests = listener

    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch(f"http://127.0.0.1:{port}/x")

    assert requests == []


def test_fetcher_serves_a_static_file_by_its_static_url(fetcher):
    expected = Path(finders.find("core/site.css")).read_bytes()

    assert _read(fetcher.fetch("file:///static/core/site.css")) == expected


def test_fetcher_serves_a_static_file_by_its_path_on_disk(fetcher):
    path = Path(finders.find("core/site.css"))

    assert _read(fetcher.fetch(path.as_uri())) == path.read_bytes()


def test_a_template_may_still_show_a_static_image(tmp_path, settings):
    (tmp_path / "with_image.html").write_text(
        '{% extends "pdf/base.html" %}{% load static %}{% block content %}'
        '<img src="{% static "vendor/leaflet/images/marker-icon.png" %}" alt="Repère">'
        "{% endblock content %}"
    )
    template_settings = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template_settings, "DIRS": [*template_settings["DIRS"], tmp_path]}]

    content = render_pdf("with_image.html", {}, title="Repère")

    assert _images(content) != []  # the picture (and its transparency mask)


@pytest.fixture
def hostile_invoice(space):
    """Returns a factory: the invoice of a collected payment, whose copied debtor name and
    description are then set to the given texts (through the ORM: the invoice copies names at
    issue, and issuing now refuses control characters, which these names contain)."""

    def make(*, debtor_name: str, description: str):
        debtor = VerifiedStructureFactory(name="Les Amis du Vélo")
        member = MembershipFactory(organisation=debtor, user=UserFactory()).user
        start, end = slot()
        booking = booking_request_for(space=space, requested_by=member, start=start, end=end)
        payment = Payment.objects.create(
            booking=booking,
            owner=collecting_organisation(space),
            amount_cents=3000,
            captured_cents=3000,
            status=PaymentStatus.CAPTURED,
            hold_first=False,
        )
        invoice = invoice_issue_for_payment(payment=payment)
        Invoice.objects.filter(pk=invoice.pk).update(
            debtor_name=debtor_name, description=description
        )
        invoice.refresh_from_db()
        return member, invoice

    return make


def test_invoice_of_hostile_names_requests_nothing_and_embeds_nothing(
    client, hostile_invoice, listener, secret_png
):
    port, requests = listener
    member, invoice = hostile_invoice(
        debtor_name=hostile(f"url(http://127.0.0.1:{port}/x)"),
        description=hostile(f"url({secret_png.as_uri()})"),
    )
    client.force_login(member)

    content = _pdf(client.get(reverse("payments:invoice-pdf", args=[invoice.pk])))

    assert (requests, _images(content)) == ([], [])
    assert "Client Asso }} html { background: url(http:" in _text(content)  # printed as text


def test_invoice_metadata_name_the_document_and_its_issuer(client, hostile_invoice):
    member, invoice = hostile_invoice(debtor_name="Les <b>Amis</b>", description="Salle")
    client.force_login(member)

    content = _pdf(client.get(reverse("payments:invoice-pdf", args=[invoice.pk])))

    metadata = PdfReader(io.BytesIO(content)).metadata
    assert (metadata.title, metadata.author) == (
        f"Facture n° {invoice.number}",
        invoice.issuer_name,
    )


def test_a_template_may_link_a_static_stylesheet(tmp_path, settings):
    """Stylesheets are served with their type: WeasyPrint ignores a linked one that is not CSS."""
    (tmp_path / "with_stylesheet.html").write_text(
        '{% extends "pdf/base.html" %}{% load static %}{% block content %}'
        '<link rel="stylesheet" href="{% static "core/site.css" %}"><p>Texte</p>'
        "{% endblock content %}"
    )
    template_settings = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template_settings, "DIRS": [*template_settings["DIRS"], tmp_path]}]
    fetcher = static_files_fetcher()

    response = fetcher.fetch("file:///static/core/site.css")
    response.close()

    assert response.content_type == "text/css"
    assert "Texte" in _text(render_pdf("with_stylesheet.html", {}, title="Feuille"))
