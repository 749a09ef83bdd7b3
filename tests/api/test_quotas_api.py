"""Booking quotas through the API (issue 16): the site's managers set, change and remove them
with the services of the quota page; a request past a quota is refused (tests/bookings/
test_quotas.py). Who may call each endpoint is in tests/api/test_authorisation_matrix.py."""

import pytest
from django.urls import reverse

from bookings.models import BookingQuota
from bookings.services.quotas import quota_save

pytestmark = pytest.mark.django_db


def _quotas(site) -> str:
    return reverse("api:site-quota-list", args=[site.pk])


def _quota(quota) -> str:
    return reverse("api:quota-detail", args=[quota.pk])


def test_a_manager_sets_a_quota_and_setting_it_again_changes_it(
    client, site, organisation, commune_staff
):
    client.force_login(commune_staff)

    created = client.post(
        _quotas(site),
        {"organisation": organisation.pk, "max_hours_per_week": 4},
        content_type="application/json",
    )
    again = client.post(
        _quotas(site),
        {"organisation": organisation.pk, "max_hours_per_month": 10},
        content_type="application/json",
    )

    assert created.status_code == 201, created.content
    assert again.status_code == 200, again.content
    quota = BookingQuota.objects.get()
    assert created.json() == {
        "id": quota.pk,
        "site": site.pk,
        "organisation": organisation.pk,
        "space_kind": "",
        "max_hours_per_week": 4,
        "max_hours_per_month": None,
        "max_pending": None,
    }
    # Setting it again replaces its limits: what was not given is no longer a limit.
    assert (quota.max_hours_per_week, quota.max_hours_per_month) == (None, 10)
    assert again.json()["id"] == quota.pk


def test_a_quota_is_replaced_then_removed(client, site, commune_staff):
    quota = quota_save(actor=commune_staff, site=site, max_pending=3)
    client.force_login(commune_staff)

    put = client.put(
        _quota(quota), {"space_kind": "meeting_room", "max_pending": 2}, "application/json"
    )
    deleted = client.delete(_quota(quota))

    assert put.status_code == 200, put.content
    assert put.json()["space_kind"] == "meeting_room"
    assert put.json()["max_pending"] == 2
    assert deleted.status_code == 204
    assert not BookingQuota.objects.exists()


def test_a_quota_cannot_be_changed_into_another_that_exists(client, site, commune_staff):
    quota_save(actor=commune_staff, site=site, max_pending=3)
    other = quota_save(actor=commune_staff, site=site, space_kind="meeting_room", max_pending=1)
    client.force_login(commune_staff)

    response = client.put(_quota(other), {"max_pending": 5}, "application/json")

    assert response.status_code == 400
    assert BookingQuota.objects.get(pk=other.pk).max_pending == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),  # no limit at all
        ({"max_hours_per_week": 10**20}, "max_hours_per_week"),
        ({"max_hours_per_week": 169}, "max_hours_per_week"),
        ({"max_pending": 0}, "max_pending"),
        ({"max_pending": 1, "organisation": 10**20}, "organisation"),
        ({"max_pending": 1, "space_kind": "=HYPERLINK()"}, "space_kind"),
    ],
)
def test_bad_quotas_are_refused_in_french_and_nothing_is_saved(
    client, site, commune_staff, body, field
):
    client.force_login(commune_staff)

    response = client.post(
        _quotas(site), body, content_type="application/json", headers={"accept-language": "fr"}
    )

    assert response.status_code == 400, response.content
    assert field in str(response.json())
    assert not BookingQuota.objects.exists()


def test_an_unverified_structure_cannot_be_given_a_quota(client, site, structure, commune_staff):
    client.force_login(commune_staff)

    response = client.post(
        _quotas(site),
        {"organisation": structure.pk, "max_pending": 1},
        content_type="application/json",
        headers={"accept-language": "fr"},
    )

    assert response.status_code == 400
    assert response.json()["organisation"] == ["Aucune structure vérifiée ne porte ce numéro."]


def test_a_structures_member_sees_no_quota_to_change(client, site, requester, commune_staff):
    quota = quota_save(actor=commune_staff, site=site, max_pending=3)
    client.force_login(requester)

    assert client.post(_quotas(site), {"max_pending": 9}, "application/json").status_code == 404
    assert client.put(_quota(quota), {"max_pending": 9}, "application/json").status_code == 404
    assert client.delete(_quota(quota)).status_code == 404
    assert BookingQuota.objects.get().max_pending == 3
