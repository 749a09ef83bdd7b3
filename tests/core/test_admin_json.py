"""JSON typed in the admin is bounded like the API's bodies: 100,000 nested levels were a
RecursionError in Django's JSON form field (a 500)."""

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from core.fields import BoundedJSONFormField
from spaces.models import Space
from tests.spaces.test_admin import admin_form_data, admin_url

OUR_APPS = {"accounts", "spaces", "bookings", "calls", "payments", "reports", "core"}
OUR_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
    ),
    key=lambda item: item[0]._meta.label,
)


@pytest.mark.parametrize(
    ("model", "model_admin"), OUR_ADMINS, ids=[model._meta.label for model, _ in OUR_ADMINS]
)
def test_no_admin_form_takes_unbounded_json(territory_admin, model, model_admin):
    request = RequestFactory().get("/")
    request.user = territory_admin
    territory_admin.is_staff = territory_admin.is_superuser = True

    form = model_admin.get_form(request)

    assert not [
        name
        for name, field in form.base_fields.items()
        if isinstance(field, forms.JSONField) and not isinstance(field, BoundedJSONFormField)
    ]


def test_a_deeply_nested_json_in_the_space_admin_is_a_form_error(client, territory_admin, space):
    territory_admin.is_staff = territory_admin.is_superuser = True
    territory_admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(territory_admin)
    url = admin_url(Space, "change", space.pk)
    data = admin_form_data(client.get(url))
    data["allowed_organisation_kinds"] = "[" * 100_000 + "]" * 100_000

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["allowed_organisation_kinds"] == [
        "Ce JSON est trop profondément imbriqué (32 niveaux au plus)."
    ]
    space.refresh_from_db()
    assert space.allowed_organisation_kinds == ["ess", "commune", "epci", "other"]


def test_a_normal_json_list_still_saves_in_the_space_admin(client, territory_admin, space):
    territory_admin.is_staff = territory_admin.is_superuser = True
    territory_admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(territory_admin)
    url = admin_url(Space, "change", space.pk)
    data = admin_form_data(client.get(url))
    data["allowed_organisation_kinds"] = '["ess"]'

    response = client.post(url, data)

    assert response.status_code == 302
    space.refresh_from_db()
    assert space.allowed_organisation_kinds == ["ess"]
