"""/healthz, the kernel's probe for load balancers and monitoring."""

from django.urls import reverse


def test_healthz_reports_ok_with_database(client, db):
    response = client.get(reverse("core:healthz"))

    body = response.json()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert {key: body[key] for key in ("status", "database")} == {"status": "ok", "database": "ok"}


def test_healthz_is_never_cached(client, db):
    response = client.get(reverse("core:healthz"))

    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_needs_no_login(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200


def test_healthz_refuses_post(client, db):
    response = client.post(reverse("core:healthz"))

    assert response.status_code == 405
