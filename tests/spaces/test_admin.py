"""The Django admin: every registered model's pages render, and sites keep the service's rules."""

import pytest
from django.contrib import admin
from django.forms import CheckboxInput, NullBooleanSelect
from django.test import RequestFactory

from spaces.models import Site
from tests.factories import CommuneFactory, PhotoFactory, SiteFactory, admin_url

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def admin_form_data(response) -> dict:
    """The POST body the admin change page would send back unchanged (inlines must be empty)."""
    form = response.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(field.widget, NullBooleanSelect):
            data[name] = {True: "true", False: "false", None: "unknown"}[value]
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        else:
            data[name] = "" if value is None else str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        assert not formset.initial_forms, "the helper only sends empty inlines"
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
    return data


@pytest.fixture
def superuser(territory_admin):
    territory_admin.is_staff = territory_admin.is_superuser = True
    territory_admin.save(update_fields=["is_staff", "is_superuser"])
    return territory_admin


@pytest.fixture
def superuser_client(client, superuser, site, space, member):
    PhotoFactory(site=site, space=space)  # rows in most changelists and inlines
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "model", [model for model, _ in REGISTERED], ids=[m._meta.label for m, _ in REGISTERED]
)
def test_admin_changelist_renders(superuser_client, model):
    response = superuser_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "model", [model for model, _ in REGISTERED], ids=[m._meta.label for m, _ in REGISTERED]
)
def test_admin_add_page_renders(superuser_client, superuser, model):
    request = RequestFactory().get("/")
    request.user = superuser
    if not admin.site._registry[model].has_add_permission(request):
        pytest.skip(f"{model._meta.label} is not added through the admin")

    response = superuser_client.get(admin_url(model, "add"))

    assert response.status_code == 200


@pytest.mark.parametrize("fixture", ["site", "space", "commune", "structure"])
def test_admin_change_page_renders(superuser_client, request, fixture):
    instance = request.getfixturevalue(fixture)

    response = superuser_client.get(admin_url(type(instance), "change", instance.pk))

    assert response.status_code == 200


def test_admin_site_change_saves_a_valid_change(superuser_client, commune):
    bare = SiteFactory(commune=commune, name="Ancienne poste")
    page = superuser_client.get(admin_url(Site, "change", bare.pk))
    data = {**admin_form_data(page), "name": "Ancienne poste — tiers-lieu"}

    response = superuser_client.post(admin_url(Site, "change", bare.pk), data)

    assert response.status_code == 302
    assert Site.objects.get(pk=bare.pk).name == "Ancienne poste — tiers-lieu"


def test_admin_site_change_refuses_a_commune_outside_the_territory(superuser_client, commune):
    bare = SiteFactory(commune=commune, name="Ancienne poste")
    outside = CommuneFactory(insee_code="59350", name="Lille", epci=False)
    page = superuser_client.get(admin_url(Site, "change", bare.pk))
    data = {
        **admin_form_data(page),
        "commune": outside.pk,
        "postcode": outside.postcodes.get().code,
    }

    response = superuser_client.post(admin_url(Site, "change", bare.pk), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["commune"]
    assert Site.objects.get(pk=bare.pk).commune == commune


def test_a_view_only_staff_member_opens_a_site_in_the_admin(client, commune_staff, site):
    """The admin builds the form without the fields a view-only user may not change: the site
    form must not assume they are there (it raised KeyError 'owner', a 500)."""
    from django.contrib.auth.models import Permission

    commune_staff.is_staff = True
    commune_staff.save(update_fields=["is_staff"])
    commune_staff.user_permissions.add(Permission.objects.get(codename="view_site"))
    client.force_login(commune_staff)

    response = client.get(admin_url(Site, "change", site.pk))

    assert response.status_code == 200
    assert "Les Grands Bureaux" in response.content.decode()
