"""The admin of calls: pages render, published calls are read-only, lists are scoped."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from calls.models import Application, Call, Score

pytestmark = pytest.mark.usefixtures("frozen_clock")


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def superuser_client(client, territory_admin):
    territory_admin.is_staff = territory_admin.is_superuser = True
    territory_admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(territory_admin)
    return client


def test_admin_draft_call_is_read_only_too(superuser_client, draft):
    response = superuser_client.get(admin_url(Call, "change", draft.pk))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_admin_published_call_is_read_only(superuser_client, call):
    response = superuser_client.get(admin_url(Call, "change", call.pk))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_admin_published_call_cannot_be_changed_by_a_post(superuser_client, call):
    response = superuser_client.post(
        admin_url(Call, "change", call.pk), {"title": "Changé", "presentation": "x"}
    )

    call.refresh_from_db()
    assert response.status_code == 403
    assert call.title != "Changé"


@pytest.mark.parametrize("model", [Application, Score])
def test_admin_application_pages_render(superuser_client, application, reviewer, model):
    for criterion in application.call.criteria.all():
        Score.objects.create(
            application=application, reviewer=reviewer, criterion=criterion, mark=5
        )
    instance = model.objects.first()

    assert superuser_client.get(admin_url(model, "changelist")).status_code == 200
    assert superuser_client.get(admin_url(model, "change", instance.pk)).status_code == 200


def test_admin_lists_only_the_calls_the_staff_member_runs(client, call, other_commune_staff):
    other_commune_staff.is_staff = True
    other_commune_staff.save(update_fields=["is_staff"])
    other_commune_staff.user_permissions.add(Permission.objects.get(codename="view_call"))
    client.force_login(other_commune_staff)

    response = client.get(admin_url(Call, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == []
