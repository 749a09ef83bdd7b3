"""The product's own French error pages, with DEBUG off as in the demo and in production."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.urls("tests.core.raising_urls")
def test_a_failing_view_renders_the_french_500_page(db, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    response = client.get("/en-panne/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Une erreur est survenue" in page
    assert "RuntimeError" not in page


def test_an_unknown_address_renders_the_french_404_page(client, settings):
    settings.DEBUG = False

    response = client.get("/nope/")

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_a_wrong_password_is_told_in_correct_french(client, db):
    response = client.post(
        reverse("accounts:login"), {"username": "personne@example.test", "password": "faux"}
    )

    page = response.content.decode()
    assert "Saisissez une adresse électronique et un mot de passe valides" in page
    assert "Saisissez un adresse" not in page
