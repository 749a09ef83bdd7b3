"""Documents are stored under the type their whole content proves (issue 9 §8): web content
behind a PDF or image signature is refused, a real PDF named x.exe is kept as a PDF."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import DocumentKind, OrganisationDocument
from accounts.services import document_add
from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


def _add(structure, member, name: str, content: bytes) -> OrganisationDocument:
    return document_add(
        organisation=structure,
        kind=DocumentKind.STATUTES,
        upload=SimpleUploadedFile(name, content, content_type="application/pdf"),
        expires_on=None,
        actor=member,
    )


def _refusal(structure, member, name: str, content: bytes) -> str:
    with pytest.raises(ValidationError) as excinfo:
        _add(structure, member, name, content)
    assert not OrganisationDocument.objects.exists()
    [message] = excinfo.value.message_dict["file"]
    return message


def test_html_named_evil_pdf_is_refused_in_french(structure, member):
    message = _refusal(structure, member, "evil.pdf", HTML)

    assert message == "Seuls les fichiers PDF, JPEG ou PNG sont acceptés."


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("evil.pdf", b"%PDF-1.4\n" + HTML, id="html-behind-a-pdf-signature"),
        pytest.param("evil.png", b"\x89PNG\r\n\x1a\n" + HTML, id="html-behind-a-png-signature"),
        pytest.param("evil.jpg", b"\xff\xd8\xff\xe0" + SVG, id="svg-behind-a-jpeg-signature"),
        pytest.param("polyglot.pdf", PDF_BYTES + HTML, id="a-real-pdf-and-a-page"),
        pytest.param("polyglot.png", PNG_BYTES + SVG, id="a-real-png-and-an-svg"),
        pytest.param(
            "polyglot.pdf", PDF_BYTES.replace(b"(pypdf)", b"(<script>x</script>)"), id="in-pdf"
        ),
    ],
)
def test_web_content_behind_a_valid_signature_is_refused_in_french(
    structure, member, name, content
):
    message = _refusal(structure, member, name, content)

    assert message == "Ce fichier contient du contenu web (HTML, SVG ou script) : il est refusé."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\n", "Ce fichier n’est pas un PDF lisible."),
        (
            "broken.png",
            PNG_BYTES[: len(PNG_BYTES) // 2],
            "Ce fichier n’est pas une image JPEG ou PNG lisible.",
        ),
        (
            "broken.jpg",
            b"\xff\xd8\xff\xe0" + b"\x00" * 64,
            "Ce fichier n’est pas une image JPEG ou PNG lisible.",
        ),
    ],
    ids=["pdf-without-pages", "truncated-png", "jpeg-without-image"],
)
def test_a_file_that_only_starts_like_its_type_is_refused_in_french(
    structure, member, name, content, message
):
    assert _refusal(structure, member, name, content) == message


@pytest.mark.parametrize(
    ("name", "content", "stored_as"),
    [
        ("x.exe", PDF_BYTES, ".pdf"),
        ("photo.pdf", PNG_BYTES, ".png"),
        ("scan.png", JPEG_BYTES, ".jpg"),
        ("statuts", PDF_BYTES, ".pdf"),
        ("statuts.PDF.html", PDF_BYTES, ".pdf"),
    ],
    ids=["pdf-named-exe", "png-named-pdf", "jpeg-named-png", "no-extension", "double-extension"],
)
def test_a_document_is_stored_under_the_extension_its_content_proves(
    structure, member, name, content, stored_as
):
    document = _add(structure, member, name, content)

    stored = Path(document.file.name)
    assert stored.suffix == stored_as
    assert stored.name.endswith(f"-{Path(name).stem}{stored_as}")
    assert Path(document.file.path).read_bytes() == content


def test_a_pdf_uploaded_as_exe_is_served_as_a_pdf(client, structure, member):
    document = _add(structure, member, "x.exe", PDF_BYTES)
    client.force_login(member)

    response = client.get(reverse("accounts:document-download", args=[document.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="' in response["Content-Disposition"]
    assert ".pdf" in response["Content-Disposition"]
    assert ".exe" not in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES
    response.close()


def test_an_image_over_40_megapixels_is_refused_before_decoding(structure, member):
    output = io.BytesIO()
    Image.new("1", (8000, 5001)).save(output, format="PNG")

    message = _refusal(structure, member, "plan.png", output.getvalue())

    assert message == "L’image dépasse 40 mégapixels."
