"""The season's admin: pages render, nothing can be changed there, lists are scoped."""

import pytest
from django.contrib.auth.models import Permission

from seasons.models import Campaign, PlanRun, Wish
from tests.factories import admin_url


@pytest.mark.parametrize("model", [Campaign, Wish, PlanRun])
def test_admin_season_pages_render_read_only(territory_admin_client, planned, model):
    instance = model.objects.first()

    assert territory_admin_client.get(admin_url(model, "changelist")).status_code == 200
    response = territory_admin_client.get(admin_url(model, "change", instance.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_admin_campaign_cannot_be_changed_by_a_post(territory_admin_client, planned):
    response = territory_admin_client.post(
        admin_url(Campaign, "change", planned.pk), {"title": "Changé", "school_year": 2030}
    )

    planned.refresh_from_db()
    assert response.status_code == 403
    assert planned.title != "Changé"


@pytest.mark.parametrize(
    ("model", "codename"),
    [(Campaign, "view_campaign"), (Wish, "view_wish"), (PlanRun, "view_planrun")],
)
def test_admin_lists_only_what_the_staff_member_runs(
    client, planned, other_commune_staff, model, codename
):
    other_commune_staff.is_staff = True
    other_commune_staff.save(update_fields=["is_staff"])
    other_commune_staff.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(other_commune_staff)

    response = client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == []
    assert model.objects.exists()
