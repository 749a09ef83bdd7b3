"""Read API of the premises inventory: /api/v1/communes/, /api/v1/sites/, /api/v1/spaces/."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from spaces.models import Site, SiteStatus, SpaceKind
from tests.factories import (
    AmenityFactory,
    CommuneFactory,
    PhotoFactory,
    PostalCodeFactory,
    SiteFactory,
    SpaceFactory,
)

COMMUNES = reverse("api:commune-list")
SITES = reverse("api:site-list")
SPACES = reverse("api:space-list")


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_commune_list_gives_the_communes_of_the_territory_with_their_postcodes(client, epci):
    CommuneFactory(
        insee_code="59172",
        name="Denain",
        epci=epci,
        postcodes=[PostalCodeFactory(code="59220")],
    )
    CommuneFactory(insee_code="59350", name="Lille", epci=False)

    response = client.get(COMMUNES)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [
        {"insee_code": "59172", "name": "Denain", "postcodes": ["59220"], "population": 5000}
    ]


def test_commune_list_is_paginated(client, epci):
    for _ in range(3):
        CommuneFactory(epci=epci)

    response = client.get(COMMUNES, {"page_size": 2})

    body = response.json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] is not None


def test_site_list_is_paginated(client, commune):
    SiteFactory.create_batch(3, commune=commune)

    response = client.get(SITES, {"page_size": 2})

    body = response.json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] is not None


def test_site_list_gives_the_address_accessibility_and_space_count(client, site):
    SpaceFactory.create_batch(2, site=site)

    response = client.get(SITES)

    row = response.json()["results"][0]
    assert row["address"]["commune_insee_code"] == "59172"
    assert row["accessibility"]["step_free_entrance"] is True
    assert row["space_count"] == 2


def test_space_list_is_paginated(client, site):
    SpaceFactory.create_batch(3, site=site)

    response = client.get(SPACES, {"page_size": 2})

    body = response.json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] is not None


def test_space_list_gives_the_equipment_and_photos(client, site, space):
    space.amenities.add(AmenityFactory(code="wifi", name="Wi-Fi"))
    PhotoFactory(site=site, space=space, alt_text="Salle vue de l'entrée")

    response = client.get(SPACES)

    row = response.json()["results"][0]
    assert row["amenities"] == ["Wi-Fi"]
    assert [photo["alt"] for photo in row["photos"]] == ["Salle vue de l'entrée"]


def test_space_list_combines_capacity_step_free_and_use_filters(client, commune):
    no_lift = SiteFactory(commune=commune, step_free_entrance=True, has_lift=False)
    lift = SiteFactory(commune=commune, step_free_entrance=True, has_lift=True)
    steps = SiteFactory(commune=commune, step_free_entrance=False)
    ground_floor = SpaceFactory(site=no_lift, capacity=20, floor=0, bookable=True)
    upstairs_with_lift = SpaceFactory(site=lift, capacity=30, floor=2, bookable=True)
    SpaceFactory(site=no_lift, capacity=19, floor=0, bookable=True)  # too small
    SpaceFactory(site=no_lift, capacity=40, floor=1, bookable=True)  # upstairs, no lift
    SpaceFactory(site=steps, capacity=40, floor=0, bookable=True)  # steps at the door
    SpaceFactory(site=no_lift, capacity=40, floor=0, bookable=False, allocatable=True)

    response = client.get(SPACES, {"capacity_min": 20, "step_free": "true", "mode": "short"})

    assert response.status_code == 200
    assert ids(response) == {ground_floor.pk, upstairs_with_lift.pk}


def test_space_list_filters_by_kind_and_commune(client, site, other_site):
    match = SpaceFactory(site=site, kind=SpaceKind.OFFICE)
    SpaceFactory(site=site, kind=SpaceKind.HALL)
    SpaceFactory(site=other_site, kind=SpaceKind.OFFICE)

    response = client.get(SPACES, {"kind": "office", "commune": site.commune_id})

    assert ids(response) == {match.pk}


def test_space_list_filters_vacant_spaces(client, site):
    vacant = SpaceFactory(site=site, vacant_since=date(2026, 3, 1))
    SpaceFactory(site=site, vacant_since=None)

    response = client.get(SPACES, {"vacant": "true"})

    assert ids(response) == {vacant.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"capacity_min": "abc"}, "capacity_min"),
        ({"capacity_min": "0"}, "capacity_min"),
        ({"surface_min": "80", "surface_max": "20"}, "surface_max"),
        ({"commune": "00000"}, "commune"),
        ({"kind": "castle"}, "kind"),
        ({"mode": "forever"}, "mode"),
    ],
)
def test_space_list_refuses_an_invalid_filter_naming_the_field(client, space, query, field):
    response = client.get(SPACES, query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_space_list_hides_spaces_of_closed_sites(client, site, other_site):
    SpaceFactory(site=other_site)
    shown = SpaceFactory(site=site)
    Site.objects.filter(pk=other_site.pk).update(status=SiteStatus.CLOSED)

    response = client.get(SPACES)

    assert ids(response) == {shown.pk}


def test_site_list_hides_an_unpublished_site_from_the_public(client, site, other_site):
    Site.objects.filter(pk=other_site.pk).update(is_published=False)

    response = client.get(SITES)

    assert ids(response) == {site.pk}


def test_site_detail_of_an_unpublished_site_is_not_found_for_the_public(client, site):
    Site.objects.filter(pk=site.pk).update(is_published=False)

    response = client.get(reverse("api:site-detail", args=[site.pk]))

    assert response.status_code == 404


def test_space_list_hides_the_spaces_of_an_unpublished_site_from_the_public(client, space):
    Site.objects.filter(pk=space.site_id).update(is_published=False)

    response = client.get(SPACES)

    assert response.json()["count"] == 0


def test_space_detail_of_an_unpublished_site_is_not_found_for_the_public(client, space):
    Site.objects.filter(pk=space.site_id).update(is_published=False)

    response = client.get(reverse("api:space-detail", args=[space.pk]))

    assert response.status_code == 404


def test_site_detail_shows_an_unpublished_site_to_its_commune_staff(client, commune_staff, site):
    Site.objects.filter(pk=site.pk).update(is_published=False)
    client.force_login(commune_staff)

    response = client.get(reverse("api:site-detail", args=[site.pk]))

    assert response.status_code == 200


def test_space_detail_gives_the_space(client, space):
    response = client.get(reverse("api:space-detail", args=[space.pk]))

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["site"]["commune"]) == (
        "Salle Usinor",
        "Denain",
    )


def test_space_detail_of_a_nonexistent_space_is_not_found(client, db):
    response = client.get(reverse("api:space-detail", args=[987654]))

    assert response.status_code == 404


# The same number of queries for 2 and 12 rows: no query per row.


@pytest.mark.parametrize("rows", [2, 12])
def test_commune_list_query_count_does_not_grow_with_the_rows(
    client, epci, django_assert_num_queries, rows
):
    for _ in range(rows):
        CommuneFactory(epci=epci, postcodes=[PostalCodeFactory(), PostalCodeFactory()])

    with django_assert_num_queries(3):  # count, page, postcodes
        response = client.get(COMMUNES)

    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [2, 12])
def test_site_list_query_count_does_not_grow_with_the_rows(
    client, commune, django_assert_num_queries, rows
):
    for site in SiteFactory.create_batch(rows, commune=commune):
        SpaceFactory(site=site)

    with django_assert_num_queries(
        1
    ):  # the page and its count (owner, commune and space count joined)
        response = client.get(SITES)

    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [2, 12])
def test_space_list_query_count_does_not_grow_with_the_rows(
    client, commune, django_assert_num_queries, rows
):
    wifi, sink = AmenityFactory(code="wifi"), AmenityFactory(code="sink")
    for _ in range(rows):
        space = SpaceFactory(site=SiteFactory(commune=commune))
        space.amenities.add(wifi, sink)
        PhotoFactory(site=space.site, space=space)

    with django_assert_num_queries(3):  # the page and its count, amenities, photos
        response = client.get(SPACES, {"step_free": "true", "capacity_min": 1})

    assert response.json()["count"] == rows


def test_commune_list_gives_the_47_demo_communes_after_seed_demo(client, db, settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", stdout=io.StringIO())

    response = client.get(COMMUNES)

    assert response.json()["count"] == 47


@pytest.mark.django_db
def test_site_list_api_leaves_out_closed_sites(client, site, other_site):
    other_site.status = "closed"
    other_site.save()

    response = client.get("/api/v1/sites/")

    assert [row["id"] for row in response.json()["results"]] == [site.pk]
