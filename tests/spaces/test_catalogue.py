"""The public catalogue (list, filters, map, detail pages) and the premises management pages."""

import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import CheckboxInput, NullBooleanSelect
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from spaces.forms import SiteForm, SpaceForm
from spaces.models import Photo, Site, SiteStatus, Space, SpaceKind
from tests.factories import (
    AmenityFactory,
    CommuneFactory,
    PhotoFactory,
    SiteFactory,
    SpaceFactory,
)

CATALOGUE = reverse("spaces:catalogue")


def listed(response) -> set[str]:
    return {space.name for space in response.context["page"].object_list}


def map_points(response) -> list[dict]:
    match = re.search(
        r'<script id="map-points" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    assert match, "the catalogue has no map-points data"
    return json.loads(match.group(1))


def english(client):
    """The French translation may change; these assertions read the English source text."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def jpeg_upload(name: str = "facade.jpg") -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", (48, 32), (150, 75, 0)).save(output, format="JPEG")
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/jpeg")


# --- the catalogue page ------------------------------------------------------------------------


def test_catalogue_renders_the_spaces_and_the_filter_form(client, space):
    response = client.get(CATALOGUE)

    assert response.status_code == 200
    assert listed(response) == {"Salle Usinor"}
    assert set(response.context["filter"].form.fields) >= {
        "commune",
        "kind",
        "capacity_min",
        "surface_min",
        "surface_max",
        "mode",
        "step_free",
        "vacant",
    }


def test_catalogue_filters_by_commune(client, site, other_site):
    SpaceFactory(site=site, name="In Denain")
    SpaceFactory(site=other_site, name="In Saint-Amand")

    response = client.get(CATALOGUE, {"commune": site.commune_id})

    assert listed(response) == {"In Denain"}


def test_catalogue_filters_by_kind(client, site):
    SpaceFactory(site=site, name="Office", kind=SpaceKind.OFFICE)
    SpaceFactory(site=site, name="Meeting room", kind=SpaceKind.MEETING_ROOM)

    response = client.get(CATALOGUE, {"kind": "office"})

    assert listed(response) == {"Office"}


def test_catalogue_filters_by_minimum_capacity(client, site):
    for capacity in [19, 20, 50]:
        SpaceFactory(site=site, name=f"For {capacity}", capacity=capacity)

    response = client.get(CATALOGUE, {"capacity_min": "20"})

    assert listed(response) == {"For 20", "For 50"}


def test_catalogue_filters_by_surface_range(client, site):
    for surface in ["29.5", "30", "60", "60.5"]:
        SpaceFactory(site=site, name=f"{surface} m2", surface_m2=Decimal(surface))

    response = client.get(CATALOGUE, {"surface_min": "30", "surface_max": "60"})

    assert listed(response) == {"30 m2", "60 m2"}


@pytest.mark.parametrize(("mode", "expected"), [("short", "Bookable"), ("long", "Allocatable")])
def test_catalogue_filters_by_use(client, site, mode, expected):
    SpaceFactory(site=site, name="Bookable", bookable=True, allocatable=False)
    SpaceFactory(site=site, name="Allocatable", bookable=False, allocatable=True)

    response = client.get(CATALOGUE, {"mode": mode})

    assert listed(response) == {expected}


def test_catalogue_step_free_needs_a_step_free_entrance_and_the_ground_floor_or_a_lift(
    client, commune
):
    no_lift = SiteFactory(commune=commune, step_free_entrance=True, has_lift=False)
    lift = SiteFactory(commune=commune, step_free_entrance=True, has_lift=True)
    steps = SiteFactory(commune=commune, step_free_entrance=False, has_lift=True)
    unknown = SiteFactory(commune=commune, step_free_entrance=None, has_lift=None)
    SpaceFactory(site=no_lift, name="Ground floor, no lift", floor=0)
    SpaceFactory(site=no_lift, name="First floor, no lift", floor=1)
    SpaceFactory(site=lift, name="Second floor, lift", floor=2)
    SpaceFactory(site=lift, name="Basement, lift", floor=-1)
    SpaceFactory(site=steps, name="Ground floor, steps", floor=0)
    SpaceFactory(site=unknown, name="Ground floor, not known", floor=0)

    response = client.get(CATALOGUE, {"step_free": "on"})

    assert listed(response) == {
        "Ground floor, no lift",
        "Second floor, lift",
        "Basement, lift",
    }


def test_catalogue_filters_vacant_spaces(client, site):
    SpaceFactory(site=site, name="Vacant", vacant_since=date(2026, 3, 1))
    SpaceFactory(site=site, name="Occupied", vacant_since=None)

    response = client.get(CATALOGUE, {"vacant": "on"})

    assert listed(response) == {"Vacant"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"capacity_min": "abc"}, "capacity_min"),
        ({"capacity_min": "0"}, "capacity_min"),
        ({"surface_min": "-1"}, "surface_min"),
        ({"surface_min": "80", "surface_max": "20"}, "surface_max"),
        ({"commune": "00000"}, "commune"),
        ({"kind": "castle"}, "kind"),
        ({"mode": "forever"}, "mode"),
    ],
)
def test_catalogue_shows_an_invalid_filter_error_on_its_field(client, space, query, field):
    response = client.get(CATALOGUE, query)

    assert response.status_code == 200
    assert list(response.context["filter"].form.errors) == [field]
    assert f'id="id_{field}_errors"' in response.content.decode()


def test_catalogue_applies_the_valid_filters_when_another_is_invalid(client, site):
    SpaceFactory(site=site, name="Office", kind=SpaceKind.OFFICE)
    SpaceFactory(site=site, name="Hall", kind=SpaceKind.HALL)

    response = client.get(CATALOGUE, {"kind": "office", "capacity_min": "abc"})

    assert listed(response) == {"Office"}


@pytest.mark.parametrize("page_number", ["abc", "999", "-1"])
def test_catalogue_survives_a_bad_page_number(client, space, page_number):
    response = client.get(CATALOGUE, {"page": page_number})

    assert response.status_code == 200


def test_catalogue_hides_unpublished_sites_from_the_public(client, site, other_site):
    SpaceFactory(site=site, name="Published")
    SpaceFactory(site=other_site, name="Unpublished")
    Site.objects.filter(pk=other_site.pk).update(is_published=False)

    response = client.get(CATALOGUE)

    assert listed(response) == {"Published"}


def test_catalogue_shows_an_unpublished_site_to_its_commune_staff(client, commune_staff, site):
    SpaceFactory(site=site, name="Draft")
    Site.objects.filter(pk=site.pk).update(is_published=False)
    client.force_login(commune_staff)

    response = client.get(CATALOGUE)

    assert listed(response) == {"Draft"}


def test_catalogue_hides_closed_sites(client, site, other_site):
    SpaceFactory(site=site, name="Open")
    SpaceFactory(site=other_site, name="Closed")
    Site.objects.filter(pk=other_site.pk).update(status=SiteStatus.CLOSED)

    response = client.get(CATALOGUE)

    assert listed(response) == {"Open"}


def test_catalogue_map_shows_the_sites_of_the_filtered_spaces(client, site, other_site):
    SpaceFactory(site=site, kind=SpaceKind.OFFICE)
    SpaceFactory(site=other_site, kind=SpaceKind.HALL)

    response = client.get(CATALOGUE, {"kind": "office"})

    assert map_points(response) == [
        {
            "name": "Les Grands Bureaux",
            "commune": "Denain",
            "url": site.get_absolute_url(),
            "lat": 50.3289,
            "lng": 3.3956,
        }
    ]


def test_catalogue_map_leaves_out_sites_without_coordinates(client, site, other_site):
    SpaceFactory(site=site)
    SpaceFactory(site=other_site)
    Site.objects.filter(pk=other_site.pk).update(latitude=None, longitude=None)

    response = client.get(CATALOGUE)

    assert [point["name"] for point in map_points(response)] == ["Les Grands Bureaux"]


def test_catalogue_query_count_does_not_grow_with_the_rows(client, commune):
    wifi = AmenityFactory(code="wifi")

    def add_spaces(count: int) -> None:
        for _ in range(count // 3):
            site = SiteFactory(commune=commune)
            PhotoFactory(site=site)
            for _ in range(3):
                space = SpaceFactory(site=site)
                space.amenities.add(wifi)
                PhotoFactory(site=site, space=space)

    def queries_for_catalogue() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CATALOGUE, {"step_free": "on"})
        assert response.status_code == 200
        return len(queries)

    add_spaces(3)
    with_3 = queries_for_catalogue()
    add_spaces(12)

    with_15 = queries_for_catalogue()

    assert Space.objects.count() == 15
    assert with_15 == with_3


# --- detail pages ------------------------------------------------------------------------------


def test_site_detail_shows_the_photo_descriptions(client, site):
    PhotoFactory(site=site, alt_text="Entrée principale, rampe d'accès à gauche")

    response = client.get(site.get_absolute_url())

    assert response.status_code == 200
    assert 'alt="Entrée principale, rampe d&#x27;accès à gauche"' in response.content.decode()


def test_site_detail_shows_the_accessibility_of_the_building(client, site):
    Site.objects.filter(pk=site.pk).update(entrance_width_cm=93, hearing_loop=None)

    response = english(client).get(site.get_absolute_url())

    content = response.content.decode()
    assert "<dt>Step-free entrance</dt><dd>yes</dd>" in content
    assert "<dt>Entrance door width</dt><dd>93 cm</dd>" in content
    assert "<dt>Hearing loop</dt><dd>not known</dd>" in content


def test_site_detail_lists_the_spaces_of_the_site(client, site):
    SpaceFactory(site=site, name="Salle du Haut-Fourneau")

    response = client.get(site.get_absolute_url())

    assert "Salle du Haut-Fourneau" in response.content.decode()


def test_space_detail_shows_the_equipment(client, space):
    space.amenities.add(AmenityFactory(code="projector", name="Vidéoprojecteur"))

    response = client.get(space.get_absolute_url())

    assert response.status_code == 200
    assert "<li>Vidéoprojecteur</li>" in response.content.decode()


def test_space_detail_shows_the_photo_descriptions(client, site, space):
    PhotoFactory(site=site, space=space, alt_text="Tables en U face à l'écran")

    response = client.get(space.get_absolute_url())

    assert 'alt="Tables en U face à l&#x27;écran"' in response.content.decode()


def test_space_detail_shows_step_free_access_to_the_space(client, site):
    Site.objects.filter(pk=site.pk).update(step_free_entrance=True, has_lift=False)
    upstairs = SpaceFactory(site=site, floor=1)

    response = english(client).get(upstairs.get_absolute_url())

    assert "<dt>Step-free access to this space</dt><dd>no</dd>" in response.content.decode()


def test_site_detail_of_a_nonexistent_site_is_not_found(client, db):
    response = client.get(reverse("spaces:site-detail", args=[987654]))

    assert response.status_code == 404


def test_space_detail_of_a_nonexistent_space_is_not_found(client, db):
    response = client.get(reverse("spaces:space-detail", args=[987654]))

    assert response.status_code == 404


def test_site_detail_of_an_unpublished_site_is_not_found_for_the_public(client, site):
    Site.objects.filter(pk=site.pk).update(is_published=False)

    response = client.get(site.get_absolute_url())

    assert response.status_code == 404


# --- management pages --------------------------------------------------------------------------


def blank_form_data(form) -> dict:
    """What a browser sends back for the form as rendered, before anything is typed in."""
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
    return data


def site_form_data(commune, user, /, **overrides) -> dict:
    typed = {
        "name": "Médiathèque Gustave-Ansart",
        "owner": commune.organisation.pk,
        "street_number": "5",
        "street_name": "rue de Villars",
        "postcode": commune.postcodes.get().code,
        "commune": commune.pk,
        "latitude": "50.328000",
        "longitude": "3.395000",
        "erp_types": ["S", "L"],
        "erp_category": "5",
        "max_occupancy": "80",
        "step_free_entrance": "true",
        "entrance_width_cm": "90",
        "has_lift": "false",
    }
    return {**blank_form_data(SiteForm(user=user, instance=Site())), **typed, **overrides}


def space_form_data(**overrides) -> dict:
    typed = {
        "name": "Salle Lampisterie",
        "kind": "meeting_room",
        "surface_m2": "42.5",
        "capacity": "25",
        "bookable": "on",
    }
    return {**blank_form_data(SpaceForm(instance=Space())), **typed, **overrides}


def test_site_create_page_renders_for_commune_staff(client, commune_staff):
    client.force_login(commune_staff)

    response = client.get(reverse("spaces:site-create"))

    assert response.status_code == 200


def test_site_create_saves_the_site_of_commune_staff(client, commune_staff, commune):
    client.force_login(commune_staff)

    response = client.post(reverse("spaces:site-create"), site_form_data(commune, commune_staff))

    site = Site.objects.get(name="Médiathèque Gustave-Ansart")
    assert response.status_code == 302
    assert response["Location"] == site.get_absolute_url()
    assert (site.owner, site.erp_types, site.step_free_entrance, site.has_lift) == (
        commune.organisation,
        ["S", "L"],
        True,
        False,
    )


def test_site_create_shows_an_out_of_territory_commune_on_its_field(client, commune_staff, commune):
    outside = CommuneFactory(insee_code="59350", name="Lille", epci=False)
    client.force_login(commune_staff)

    response = client.post(
        reverse("spaces:site-create"),
        site_form_data(
            commune, commune_staff, commune=outside.pk, postcode=outside.postcodes.get().code
        ),
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["commune"]
    assert not Site.objects.exists()


def test_site_create_is_not_found_for_a_user_without_a_public_body(client, member):
    client.force_login(member)

    response = client.get(reverse("spaces:site-create"))

    assert response.status_code == 404


def test_site_edit_saves_the_changes(client, commune_staff, site):
    client.force_login(commune_staff)
    data = site_form_data(site.commune, commune_staff, name="Les Grands Bureaux — aile B")

    response = client.post(reverse("spaces:site-edit", args=[site.pk]), data)

    assert response.status_code == 302
    assert Site.objects.get(pk=site.pk).name == "Les Grands Bureaux — aile B"


def test_space_create_saves_a_space_of_the_site(client, commune_staff, site):
    wifi = AmenityFactory(code="wifi", name="Wi-Fi")
    client.force_login(commune_staff)

    response = client.post(
        reverse("spaces:space-create", args=[site.pk]), space_form_data(amenities=[wifi.pk])
    )

    space = Space.objects.get(name="Salle Lampisterie")
    assert response.status_code == 302
    assert response["Location"] == space.get_absolute_url()
    assert (space.site, space.capacity, list(space.amenities.all())) == (site, 25, [wifi])


def test_space_create_shows_a_zero_capacity_on_its_field(client, commune_staff, site):
    client.force_login(commune_staff)

    response = client.post(
        reverse("spaces:space-create", args=[site.pk]), space_form_data(capacity="0")
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["capacity"]
    assert not Space.objects.exists()


def test_space_create_is_not_found_on_a_site_of_another_commune(client, commune_staff, other_site):
    client.force_login(commune_staff)

    response = client.post(reverse("spaces:space-create", args=[other_site.pk]), space_form_data())

    assert response.status_code == 404
    assert not Space.objects.exists()


def test_site_photos_uploads_a_re_encoded_photo(client, commune_staff, site):
    client.force_login(commune_staff)

    response = client.post(
        reverse("spaces:site-photos", args=[site.pk]),
        {"image": jpeg_upload("IMG_2041.jpg"), "alt_text": "Façade sur la rue des Forges"},
    )

    photo = Photo.objects.get()
    assert response.status_code == 302
    assert (photo.site, photo.space, photo.alt_text) == (site, None, "Façade sur la rue des Forges")
    assert "IMG_2041" not in photo.image.name


def test_site_photos_shows_a_refused_file_on_the_image_field(client, commune_staff, site):
    client.force_login(commune_staff)
    text = SimpleUploadedFile("facade.jpg", b"not an image", content_type="image/jpeg")

    response = client.post(
        reverse("spaces:site-photos", args=[site.pk]), {"image": text, "alt_text": "Façade"}
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["image"]
    assert not Photo.objects.exists()
