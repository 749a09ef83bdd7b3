"""The admin of calls: pages render, published calls are read-only, lists are scoped."""

import pytest
from django.contrib.auth.models import Permission

from calls.models import Application, Call, Score
from tests.factories import admin_url

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_admin_draft_call_is_read_only_too(territory_admin_client, draft):
    response = territory_admin_client.get(admin_url(Call, "change", draft.pk))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_admin_published_call_is_read_only(territory_admin_client, call):
    response = territory_admin_client.get(admin_url(Call, "change", call.pk))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_admin_published_call_cannot_be_changed_by_a_post(territory_admin_client, call):
    response = territory_admin_client.post(
        admin_url(Call, "change", call.pk), {"title": "Changé", "presentation": "x"}
    )

    call.refresh_from_db()
    assert response.status_code == 403
    assert call.title != "Changé"


@pytest.mark.parametrize("model", [Application, Score])
def test_admin_application_pages_render(territory_admin_client, application, reviewer, model):
    for criterion in application.call.criteria.all():
        Score.objects.create(
            application=application, reviewer=reviewer, criterion=criterion, mark=5
        )
    instance = model.objects.first()

    assert territory_admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert territory_admin_client.get(admin_url(model, "change", instance.pk)).status_code == 200


def test_admin_lists_only_the_calls_the_staff_member_runs(client, call, other_commune_staff):
    other_commune_staff.is_staff = True
    other_commune_staff.save(update_fields=["is_staff"])
    other_commune_staff.user_permissions.add(Permission.objects.get(codename="view_call"))
    client.force_login(other_commune_staff)

    response = client.get(admin_url(Call, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == []
