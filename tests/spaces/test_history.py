"""Edits of sites and spaces keep their previous values, with who made them (page and admin);
the admin's history page is for the intercommunality only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.history import history_actor
from spaces.forms import SiteForm, SpaceForm
from spaces.models import Site
from spaces.services import space_save
from tests.spaces.test_admin import admin_form_data, admin_url


def _untouched(form) -> dict:
    """What a browser sends back for an untouched form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def test_a_site_renamed_on_its_page_keeps_its_old_name_and_who_renamed_it(
    client, facilities_manager, site
):
    client.force_login(facilities_manager)
    data = _untouched(SiteForm(instance=site, user=facilities_manager)) | {"name": "Tiers-lieu"}

    response = client.post(reverse("spaces:site-edit", args=[site.pk]), data)

    assert response.status_code == 302
    latest = site.history.latest()
    assert (latest.name, latest.history_user) == ("Tiers-lieu", facilities_manager)
    assert latest.prev_record.name == "Les Grands Bureaux"
    assert "name" in latest.diff_against(latest.prev_record).changed_fields


def test_a_space_changed_on_its_page_keeps_its_old_capacity_and_who_changed_it(
    client, facilities_manager, space
):
    client.force_login(facilities_manager)
    old_capacity = space.capacity
    data = _untouched(SpaceForm(instance=space)) | {"capacity": str(old_capacity + 5)}

    response = client.post(reverse("spaces:space-edit", args=[space.pk]), data)

    assert response.status_code == 302
    latest = space.history.latest()
    assert (latest.capacity, latest.history_user) == (old_capacity + 5, facilities_manager)
    assert latest.prev_record.capacity == old_capacity


@pytest.mark.django_db
def test_a_change_made_outside_a_request_is_signed_by_the_services_actor_or_by_nobody(
    space, territory_admin
):
    space.name = "Salle du conseil"
    space_save(space=space, actor=territory_admin)
    space.name = "Salle des fêtes"
    space.save()  # a command or a shell, outside any service: no person

    first, second = space.history.order_by("-history_id")[:2][::-1]
    assert (first.name, first.history_user) == ("Salle du conseil", territory_admin)
    assert (second.name, second.history_user) == ("Salle des fêtes", None)


@pytest.mark.django_db
def test_history_actor_ends_with_its_block(space, territory_admin):
    with history_actor(territory_admin):
        pass

    space.save()

    assert space.history.latest().history_user is None


def test_a_site_changed_in_the_admin_is_signed_by_the_admin(
    territory_admin_client, territory_admin, site
):
    page = territory_admin_client.get(admin_url(Site, "change", site.pk))
    data = {**admin_form_data(page), "name": "Ancienne poste"}

    response = territory_admin_client.post(admin_url(Site, "change", site.pk), data)

    assert response.status_code == 302
    latest = site.history.latest()
    assert (latest.name, latest.history_user) == ("Ancienne poste", territory_admin)
    assert latest.prev_record.name == "Les Grands Bureaux"


def test_the_admin_history_page_shows_old_values_to_the_intercommunality(
    territory_admin_client, site
):
    site.name = "Ancienne poste"
    site.save()

    response = territory_admin_client.get(admin_url(Site, "history", site.pk))

    assert response.status_code == 200
    assert "Les Grands Bureaux" in response.content.decode()


def test_the_admin_history_page_is_refused_to_staff_outside_the_intercommunality(
    client, commune_staff, site
):
    commune_staff.is_staff = True
    commune_staff.save(update_fields=["is_staff"])
    commune_staff.user_permissions.add(Permission.objects.get(codename="view_site"))
    client.force_login(commune_staff)
    assert client.get(admin_url(Site, "changelist")).status_code == 200  # may see the sites

    response = client.get(admin_url(Site, "history", site.pk))

    assert response.status_code == 403
