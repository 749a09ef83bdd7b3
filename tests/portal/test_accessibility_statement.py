"""The accessibility statement (RGAA): compliance status, the audit, its date and a contact."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_statement_gives_the_audit_its_date_and_how_to_reach_the_intercommunality(
    client, settings
):
    settings.CONTACT_EMAIL = "accessibilite@agglo-porteduhainaut.example"
    settings.CONTACT_PHONE = "03 27 00 00 00"

    html = client.get("/accessibilite/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "<strong>partiellement conforme</strong>" in html
    assert "6 décembre 2026" in html
    assert "axe-core 4.12" in html
    assert "390 × 844 pixels" in html
    assert 'href="mailto:accessibilite@agglo-porteduhainaut.example"' in html
    assert 'href="tel:03 27 00 00 00"' in html
    assert "Défenseur des droits" in html


def test_without_a_phone_number_the_statement_gives_no_empty_phone_line(client, settings):
    settings.CONTACT_PHONE = ""

    html = client.get("/accessibilite/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert 'href="tel:' not in html
