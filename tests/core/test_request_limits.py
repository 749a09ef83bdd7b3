"""Request bodies are capped before anything reads them: 413, JSON with a French `detail` under
/api/, a French page elsewhere; upload views have a larger cap.

Issue 9 §8: an anonymous 200 MB multipart POST to the login page was spooled to disk before the
CSRF 403. §7: a 13 MB API body gave an HTML 400.
"""

import socket
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

MB = 1024 * 1024


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "----limite"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body += b"x" * (size - len(body) - len(boundary) - 8)
    body += f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_13_mb_api_body_gets_a_json_413_in_french(client, member):
    client.force_login(member)

    response = client.post(
        "/api/v1/bookings/", b"{" + b" " * (13 * MB) + b"}", content_type="application/json"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Les données envoyées sont trop volumineuses")


def test_an_oversized_multipart_post_to_the_login_page_gets_a_french_413(client, db, settings):
    body, content_type = _multipart(settings.REQUEST_BODY_MAX_BYTES + 1024)

    response = client.post("/accounts/login/", body, content_type=content_type)

    assert response.status_code == 413
    assert "trop volumineuses" in response.content.decode()


def test_the_body_cap_is_configurable(client, db, settings):
    settings.REQUEST_BODY_MAX_BYTES = 1024

    response = client.post("/accounts/inscription/", {"first_name": "x" * 2000})

    assert response.status_code == 413


def test_a_body_under_the_cap_reaches_the_view(client, db, settings):
    settings.REQUEST_BODY_MAX_BYTES = 4096

    response = client.post("/accounts/inscription/", {"first_name": "x" * 2000})

    assert response.status_code == 200  # the form, with its errors


def test_an_upload_view_accepts_a_file_past_the_general_cap(client, member, structure, settings):
    settings.REQUEST_BODY_MAX_BYTES = 1024
    client.force_login(member)
    body, content_type = _multipart(3 * MB)

    response = client.post(
        reverse("accounts:document-upload", args=[structure.pk]), body, content_type=content_type
    )

    assert response.status_code == 400  # reached the form (which wants more fields)


def test_an_upload_view_refuses_past_the_upload_cap(client, member, structure, settings):
    client.force_login(member)
    body, content_type = _multipart(settings.UPLOAD_BODY_MAX_BYTES + 1024)

    response = client.post(
        reverse("accounts:document-upload", args=[structure.pk]), body, content_type=content_type
    )

    assert response.status_code == 413


def test_the_server_answers_413_without_reading_the_body(live_server):
    """Announce 200 MB, send none of it: the answer must come from the headers alone."""
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\n"
            b"Host: localhost\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )
        head = sock.recv(4096)

    assert head.startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_a_malformed_content_length_is_not_a_server_error(client, db, length):
    response = client.get("/", CONTENT_LENGTH=length)

    assert response.status_code == 200
