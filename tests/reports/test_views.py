"""Report pages: who sees what (outsiders get 404), and recording cash subsidies."""

import pytest
from django.urls import reverse

from reports.models import CashSubsidy
from tests.factories import CashSubsidyFactory, MembershipFactory, UserFactory

# The PDF is asked for by POST: tests/reports/test_documents.py.
ANNEX_PAGES = ["reports:annex", "reports:annex-csv"]


@pytest.mark.parametrize("name", ANNEX_PAGES)
def test_annex_pages_are_404_for_outsiders(client, outsider, full_year_2025, name):
    client.force_login(outsider)

    assert client.get(reverse(name, args=["59172", 2025])).status_code == 404


@pytest.mark.parametrize("name", ANNEX_PAGES)
def test_annex_pages_are_404_for_another_communes_staff(
    client, other_commune_staff, full_year_2025, name
):
    client.force_login(other_commune_staff)

    assert client.get(reverse(name, args=["59172", 2025])).status_code == 404


@pytest.mark.parametrize("name", ANNEX_PAGES)
def test_annex_pages_are_404_for_the_beneficiary(client, member, full_year_2025, name):
    client.force_login(member)

    assert client.get(reverse(name, args=["59172", 2025])).status_code == 404


def test_annex_page_shows_the_rows_in_a_captioned_table(client, commune_staff, full_year_2025):
    client.force_login(commune_staff)

    response = client.get(reverse("reports:annex", args=["59172", 2025]))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<caption id="annex-caption">' in content
    # On a phone the table scrolls in its own region, named by the caption and reached by Tab.
    assert (
        '<div class="table-scroll" tabindex="0" role="region" aria-labelledby="annex-caption">'
        in content
    )
    assert "Mobilité Solidaire" in content
    assert "23\u00a0000,00\u00a0€" in content


def test_annex_page_notes_a_commune_below_3500_inhabitants(
    client, commune_staff, commune, full_year_2025
):
    commune.population = 2_000
    commune.save()
    client.force_login(commune_staff)

    response = client.get(reverse("reports:annex", args=["59172", 2025]))

    assert 'class="note"' in response.content.decode()


def test_annex_page_has_no_note_from_3500_inhabitants(client, commune_staff, full_year_2025):
    client.force_login(commune_staff)

    response = client.get(reverse("reports:annex", args=["59172", 2025]))

    assert 'class="note"' not in response.content.decode()


def test_annex_of_an_unreasonable_year_is_404(client, territory_admin, commune):
    client.force_login(territory_admin)

    assert client.get(reverse("reports:annex", args=["59172", 1999])).status_code == 404


def test_certificate_is_404_for_outsiders(client, outsider, structure, full_year_2025):
    client.force_login(outsider)

    response = client.get(reverse("reports:certificate", args=[structure.pk, 2025]))

    assert response.status_code == 404


def test_certificate_is_404_for_another_structures_member(client, structure, full_year_2025):
    stranger = MembershipFactory().user
    client.force_login(stranger)

    response = client.get(reverse("reports:certificate", args=[structure.pk, 2025]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "persona", ["member", "facilities_manager", "commune_staff", "territory_admin"]
)
def test_certificate_is_served_to_members_and_managers(
    client, request, structure, full_year_2025, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("reports:certificate", args=[structure.pk, 2025]))

    assert response.status_code == 200


@pytest.mark.parametrize("name", ["reports:aid-list", "reports:aid-csv"])
@pytest.mark.parametrize("persona", ["outsider", "member", "facilities_manager"])
def test_aid_pages_are_404_without_a_granting_body(client, request, full_year_2025, name, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse(name) + "?annee=2025").status_code == 404


def test_aid_page_of_commune_staff_lists_their_communes_aid_only(
    client, commune_staff, other_commune, structure, full_year_2025
):
    CashSubsidyFactory(
        structure=structure,
        granted_by=other_commune.organisation,
        year=2025,
        label="Subvention de Saint-Amand",
    )
    client.force_login(commune_staff)

    response = client.get(reverse("reports:aid-list") + "?annee=2025")

    content = response.content.decode()
    assert response.status_code == 200
    assert "23\u00a0000,00\u00a0€" in content
    assert "Subvention de Saint-Amand" not in content
    assert other_commune.organisation.name not in content


def test_aid_page_refuses_a_year_out_of_range(client, territory_admin):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:aid-list") + "?annee=1850")

    assert response.status_code == 400


def test_aid_page_requires_sign_in(client):
    response = client.get(reverse("reports:aid-list"))

    assert response.status_code == 302


def test_commune_staff_record_a_cash_subsidy(client, commune_staff, commune, structure):
    client.force_login(commune_staff)

    response = client.post(
        reverse("reports:cash-subsidy-create"),
        {
            "structure": structure.pk,
            "granted_by": commune.organisation.pk,
            "year": 2025,
            "amount": "1500.50",
            "label": "Fonctionnement",
            "decision_reference": "DCM 2025-012",
        },
    )

    assert response.status_code == 302
    subsidy = CashSubsidy.objects.get()
    assert (subsidy.amount_cents, subsidy.entered_by, subsidy.granted_by) == (
        150_050,
        commune_staff,
        commune.organisation,
    )


def test_commune_staff_cannot_record_a_subsidy_of_another_commune(
    client, commune_staff, other_commune, structure
):
    client.force_login(commune_staff)

    response = client.post(
        reverse("reports:cash-subsidy-create"),
        {
            "structure": structure.pk,
            "granted_by": other_commune.organisation.pk,
            "year": 2025,
            "amount": "1500",
            "label": "Fonctionnement",
        },
    )

    assert response.status_code == 400
    assert not CashSubsidy.objects.exists()


def test_cash_subsidy_form_is_404_for_outsiders(client, outsider):
    client.force_login(outsider)

    assert client.get(reverse("reports:cash-subsidy-create")).status_code == 404


def test_cash_subsidy_delete_is_404_for_another_communes_staff(
    client, other_commune_staff, commune, structure
):
    subsidy = CashSubsidyFactory(structure=structure, granted_by=commune.organisation)
    client.force_login(other_commune_staff)

    response = client.post(reverse("reports:cash-subsidy-delete", args=[subsidy.pk]))

    assert response.status_code == 404
    assert CashSubsidy.objects.filter(pk=subsidy.pk).exists()


def test_cash_subsidy_delete_by_the_granting_commune(client, commune_staff, commune, structure):
    subsidy = CashSubsidyFactory(structure=structure, granted_by=commune.organisation)
    client.force_login(commune_staff)

    response = client.post(reverse("reports:cash-subsidy-delete", args=[subsidy.pk]))

    assert response.status_code == 302
    assert not CashSubsidy.objects.exists()


def test_report_index_offers_certificates_to_members(client, member, structure):
    client.force_login(member)

    response = client.get(reverse("reports:index") + "?annee=2025")

    content = response.content.decode()
    assert reverse("reports:certificate", args=[structure.pk, 2025]) in content
    assert reverse("reports:aid-list") not in content


def test_report_index_offers_the_annex_to_commune_staff(client, commune_staff):
    client.force_login(commune_staff)

    response = client.get(reverse("reports:index") + "?annee=2025")

    assert reverse("reports:annex", args=["59172", 2025]) in response.content.decode()


def test_dashboard_links_the_reports(client, db):
    client.force_login(UserFactory())

    response = client.get(reverse("portal:dashboard"))

    assert reverse("reports:index") in response.content.decode()
