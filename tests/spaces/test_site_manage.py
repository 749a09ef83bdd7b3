"""The site's management page: the owner's administrators and the intercommunality appoint
facilities managers, delegate the commitment of the owner, and let another organisation run
the building — in the platform's pages, not the Django admin."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import MembershipRole
from spaces.models import Amenity, SiteManager
from tests.factories import (
    MembershipFactory,
    StructureFactory,
    UserFactory,
    VerifiedStructureFactory,
)


@pytest.fixture
def owner_admin(site):
    return MembershipFactory(
        organisation=site.owner,
        user=UserFactory(email="maire@example.test"),
        role=MembershipRole.ADMIN,
    ).user


@pytest.fixture
def newcomer(db):
    return UserFactory(email="Regisseur@Example.test", first_name="Rémi", last_name="Durand")


def test_the_site_page_links_to_the_management_page_for_the_owners_admin(
    client, site, owner_admin, facilities_manager
):
    link = reverse("spaces:site-manage", args=[site.pk])
    client.force_login(owner_admin)
    assert link in client.get(site.get_absolute_url()).content.decode()
    client.force_login(facilities_manager)
    assert link not in client.get(site.get_absolute_url()).content.decode()


def test_the_owners_admin_appoints_a_manager_who_is_told(
    client, site, owner_admin, newcomer, django_capture_on_commit_callbacks
):
    client.force_login(owner_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("spaces:site-manager-add", args=[site.pk]),
            {"email": "regisseur@example.test", "may_commit_owner": "on"},
        )

    assert response.status_code == 302
    assignment = SiteManager.objects.get(site=site, user=newcomer)
    assert assignment.may_commit_owner
    assert assignment.history.latest().history_user == owner_admin
    [message] = [m for m in mail.outbox if newcomer.email in m.to]
    assert site.name in message.subject
    assert "vous délègue aussi le droit de l'engager" in message.body
    page = client.get(reverse("spaces:site-manage", args=[site.pk])).content.decode()
    assert "Rémi Durand" in page


def test_an_unknown_address_is_refused_with_what_to_do(client, site, owner_admin):
    client.force_login(owner_admin)

    response = client.post(
        reverse("spaces:site-manager-add", args=[site.pk]), {"email": "personne@example.test"}
    )

    assert response.status_code == 400
    assert "Invitez d’abord cette personne" in response.content.decode()
    assert not SiteManager.objects.filter(site=site).exists()


def test_the_delegation_is_withdrawn_then_the_manager_removed(
    client, site, territory_admin, facilities_manager
):
    assignment = SiteManager.objects.get(site=site, user=facilities_manager)
    client.force_login(territory_admin)

    client.post(
        reverse("spaces:site-manager-delegation", args=[assignment.pk]), {"may_commit_owner": "0"}
    )
    assignment.refresh_from_db()
    assert not assignment.may_commit_owner
    client.post(reverse("spaces:site-manager-remove", args=[assignment.pk]))

    assert not SiteManager.objects.filter(pk=assignment.pk).exists()
    assert SiteManager.history.filter(id=assignment.pk, history_type="-").exists()


def test_the_owner_lets_a_verified_structure_run_the_building(client, site, owner_admin):
    scic = VerifiedStructureFactory(name="SCIC Les Forges", ess_family="scic")
    client.force_login(owner_admin)

    response = client.post(
        reverse("spaces:site-managing-organisation", args=[site.pk]),
        {"managing_organisation": scic.pk},
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.managing_organisation == scic
    client.post(
        reverse("spaces:site-managing-organisation", args=[site.pk]), {"managing_organisation": ""}
    )
    site.refresh_from_db()
    assert site.managing_organisation is None


def test_an_unverified_structure_cannot_run_the_building(client, site, owner_admin):
    unverified = StructureFactory(name="Pas vérifiée")
    client.force_login(owner_admin)

    response = client.post(
        reverse("spaces:site-managing-organisation", args=[site.pk]),
        {"managing_organisation": unverified.pk},
    )

    assert response.status_code == 400
    site.refresh_from_db()
    assert site.managing_organisation is None


@pytest.mark.parametrize("who", ["outsider", "facilities_manager", "commune_staff"])
def test_others_get_a_404_and_change_nothing(client, request, site, facilities_manager, who):
    """A facilities manager or a plain member of the commune does not appoint managers."""
    assignment = SiteManager.objects.get(site=site, user=facilities_manager)
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("spaces:site-manage", args=[site.pk])).status_code == 404
    assert (
        client.post(
            reverse("spaces:site-manager-add", args=[site.pk]), {"email": "x@example.test"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("spaces:site-manager-remove", args=[assignment.pk])).status_code == 404
    )
    assert SiteManager.objects.filter(pk=assignment.pk).exists()


def test_anonymous_is_sent_to_sign_in(client, site):
    response = client.get(reverse("spaces:site-manage", args=[site.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_page_says_who_collects_the_fees_and_links_to_its_channel(client, site, owner_admin):
    client.force_login(owner_admin)

    page = client.get(reverse("spaces:site-manage", args=[site.pk])).content.decode()

    assert "Redevances du bâtiment" in page
    assert "Aucun moyen de paiement" in page
    assert reverse("payments:channel-edit", args=[site.owner.pk]) in page


# --- The list of equipment, kept by the intercommunality ---


def test_the_intercommunality_adds_and_renames_equipment(client, territory_admin):
    client.force_login(territory_admin)
    url = reverse("spaces:amenity-list")

    assert client.post(url, {"name": "Vidéoprojecteur"}).status_code == 302
    amenity = Amenity.objects.get(name="Vidéoprojecteur")
    assert amenity.code == "videoprojecteur"
    response = client.post(url, {"id": amenity.pk, "name": "Vidéoprojecteur HD"})
    assert response.status_code == 302
    amenity.refresh_from_db()
    assert amenity.name == "Vidéoprojecteur HD"
    assert "Vidéoprojecteur HD" in client.get(url).content.decode()


def test_a_duplicate_or_empty_name_is_refused(client, territory_admin):
    Amenity.objects.create(code="wifi", name="Wi-Fi")
    client.force_login(territory_admin)
    url = reverse("spaces:amenity-list")

    assert client.post(url, {"name": "wi-fi"}).status_code == 400
    assert client.post(url, {"name": "  "}).status_code == 400
    assert client.post(url, {"id": "abc", "name": "X"}).status_code == 404
    assert Amenity.objects.count() == 1


@pytest.mark.parametrize("who", ["outsider", "facilities_manager", "commune_staff"])
def test_only_the_intercommunality_keeps_the_equipment_list(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("spaces:amenity-list")).status_code == 404
    assert client.post(reverse("spaces:amenity-list"), {"name": "Piano"}).status_code == 404
    assert not Amenity.objects.filter(name="Piano").exists()
