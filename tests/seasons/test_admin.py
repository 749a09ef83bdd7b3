"""The season's admin: pages render, nothing can be changed there, lists are scoped."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from seasons.models import Campaign, PlanRun, Wish


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def superuser_client(client, territory_admin):
    territory_admin.is_staff = territory_admin.is_superuser = True
    territory_admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(territory_admin)
    return client


@pytest.mark.parametrize("model", [Campaign, Wish, PlanRun])
def test_admin_season_pages_render_read_only(superuser_client, planned, model):
    instance = model.objects.first()

    assert superuser_client.get(admin_url(model, "changelist")).status_code == 200
    response = superuser_client.get(admin_url(model, "change", instance.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_admin_campaign_cannot_be_changed_by_a_post(superuser_client, planned):
    response = superuser_client.post(
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
