"""Writes on the premises inventory through the API: sites, spaces, opening hours, closures.

Who may write: the intercommunality (every site), a commune's staff (their commune's sites), a
facilities manager (the sites they manage). A structure member and an anonymous client are
refused creation (403); another's site or space does not exist for them (404). Every write
goes through the services the management pages use.
"""

import json
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from bookings.models import Booking, BookingStatus, Closure, Occupancy
from bookings.rules import Period
from bookings.services import closure_create
from spaces.models import OpeningHours, Photo, Site, SiteStatus, Space
from tests.factories import (
    AmenityFactory,
    OpeningHoursFactory,
    PhotoFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    booking_request_for,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

SITES = reverse("api:site-list")
SPACES = reverse("api:space-list")


def site_url(site) -> str:
    return reverse("api:site-detail", args=[site.pk])


def space_url(space) -> str:
    return reverse("api:space-detail", args=[space.pk])


def hours_url(space) -> str:
    return reverse("api:space-opening-hours", args=[space.pk])


def closures_url(site) -> str:
    return reverse("api:site-closure-list", args=[site.pk])


def send(client, method: str, url: str, body: object):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def other_manager(other_site):
    """A facilities manager of another site."""
    user = UserFactory(email="other-manager@example.test")
    other_site.managers.add(user)
    return user


def new_site(commune, /, **changes) -> dict:
    return {
        "name": "Tiers-lieu de la gare",
        "owner": commune.organisation.pk,
        "street_number": 3,
        "street_name": "place de la Gare",
        "postcode": commune.postcodes.first().code,
        "commune": commune.insee_code,
        **changes,
    }


def new_space(site, /, **changes) -> dict:
    return {
        "site": site.pk,
        "name": "Salle Zola",
        "kind": "meeting_room",
        "surface_m2": "35.50",
        "capacity": 25,
        **changes,
    }


# --- Sites -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff"])
def test_site_create_by_a_public_body_answers_the_site_as_its_detail_shows_it(
    who, client, commune, request
):
    as_user(client, request.getfixturevalue(who))

    response = send(client, "post", SITES, new_site(commune))

    assert response.status_code == 201, response.json()
    body = response.json()
    site = Site.objects.get(pk=body["id"])
    assert (site.name, site.owner_id, site.commune_id) == (
        "Tiers-lieu de la gare",
        commune.organisation.pk,
        commune.insee_code,
    )
    assert body["address"]["commune_insee_code"] == commune.insee_code
    assert body["space_count"] == 0
    assert body == client.get(site_url(site)).json()


def test_site_create_is_refused_to_a_structure_member(client, member, commune):
    as_user(client, member)

    response = send(client, "post", SITES, new_site(commune))

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    assert not Site.objects.filter(name="Tiers-lieu de la gare").exists()


def test_site_create_is_refused_to_an_anonymous_client(client, commune):
    response = send(client, "post", SITES, new_site(commune))

    assert response.status_code == 403
    assert not Site.objects.filter(name="Tiers-lieu de la gare").exists()


def test_site_create_is_refused_to_a_facilities_manager_who_belongs_to_no_public_body(
    client, facilities_manager, commune
):
    as_user(client, facilities_manager)

    response = send(client, "post", SITES, new_site(commune))

    assert response.status_code == 403


def test_site_create_for_another_commune_names_the_owner_without_saying_it_exists(
    client, commune_staff, commune, other_commune
):
    as_user(client, commune_staff)
    others = send(client, "post", SITES, new_site(commune, owner=other_commune.organisation.pk))
    missing = send(client, "post", SITES, new_site(commune, owner=999_999))

    assert (others.status_code, missing.status_code) == (400, 400)
    assert others.json() == missing.json()
    assert set(others.json()) == {"owner"}


def test_site_create_rules_of_the_service_are_a_400_in_french(client, commune_staff, commune):
    as_user(client, commune_staff)

    response = send(client, "post", SITES, new_site(commune, postcode="75001"))

    assert response.status_code == 400
    assert "Le code postal de Denain" in response.json()["postcode"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Salle\x00des fêtes"),
        ("name", "Salle\ndes fêtes"),
        ("name", "x" * 100_000),
        ("max_occupancy", 10**20),
        ("street_number", -1),
        ("latitude", "1e400"),
        ("commune", "x" * 10_000),
        ("owner", 10**20),
        ("erp_types", ["Z"]),
        ("status", "demolished"),
    ],
)
def test_site_create_refuses_hostile_input_with_a_400(field, value, client, commune_staff, commune):
    as_user(client, commune_staff)

    response = send(client, "post", SITES, new_site(commune, **{field: value}))

    assert response.status_code == 400
    assert field in response.json()
    assert not Site.objects.filter(street_name="place de la Gare").exists()


def test_site_create_stores_a_formula_as_text(client, commune_staff, commune):
    as_user(client, commune_staff)

    response = send(client, "post", SITES, new_site(commune, name='=HYPERLINK("x")'))

    assert response.status_code == 201
    assert Site.objects.get(pk=response.json()["id"]).name == '=HYPERLINK("x")'


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff", "facilities_manager"])
def test_site_update_changes_only_the_fields_sent(who, client, site, request):
    as_user(client, request.getfixturevalue(who))

    response = send(client, "patch", site_url(site), {"name": "Les Nouveaux Bureaux"})

    assert response.status_code == 200, response.json()
    site.refresh_from_db()
    assert (site.name, site.street_name) == ("Les Nouveaux Bureaux", "rue Jean-Jaurès")
    assert response.json()["name"] == "Les Nouveaux Bureaux"


@pytest.mark.parametrize("who", ["member", "other_manager", "other_commune_staff"])
def test_site_update_of_another_site_is_a_404(who, client, site, request):
    as_user(client, request.getfixturevalue(who))

    response = send(client, "patch", site_url(site), {"name": "Pris"})

    assert response.status_code == 404
    site.refresh_from_db()
    assert site.name == "Les Grands Bureaux"


def test_site_update_by_an_anonymous_client_is_a_403(client, site):
    response = send(client, "patch", site_url(site), {"name": "Pris"})

    assert response.status_code == 403


def test_site_closed_by_its_manager_answers_the_closed_site(client, facilities_manager, site):
    as_user(client, facilities_manager)

    response = send(client, "patch", site_url(site), {"status": "closed"})

    assert response.status_code == 200
    assert response.json()["status"] == SiteStatus.CLOSED


def test_site_update_keeps_the_owner_for_a_facilities_manager(client, facilities_manager, site):
    as_user(client, facilities_manager)

    response = send(client, "patch", site_url(site), {"owner": site.owner_id})

    assert response.status_code == 200


def test_site_update_cannot_move_the_site_to_another_owner(
    client, commune_staff, site, other_commune
):
    as_user(client, commune_staff)

    response = send(client, "patch", site_url(site), {"owner": other_commune.organisation.pk})

    assert response.status_code == 400
    assert Site.objects.get(pk=site.pk).owner_id == site.owner_id


# --- Spaces ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff", "facilities_manager"])
def test_space_create_on_a_managed_site_answers_the_space(who, client, site, request):
    amenity = AmenityFactory(name="Vidéoprojecteur")
    as_user(client, request.getfixturevalue(who))

    response = send(client, "post", SPACES, new_space(site, amenities=["Vidéoprojecteur"]))

    assert response.status_code == 201, response.json()
    space = Space.objects.get(pk=response.json()["id"])
    assert (space.site_id, space.capacity, list(space.amenities.all())) == (site.pk, 25, [amenity])
    assert response.json()["amenities"] == ["Vidéoprojecteur"]


@pytest.mark.parametrize("who", ["other_manager", "other_commune_staff"])
def test_space_create_on_another_site_is_a_400_that_does_not_say_it_exists(
    who, client, site, other_site, request
):
    as_user(client, request.getfixturevalue(who))  # both manage `other_site`

    response = send(client, "post", SPACES, new_space(site))
    missing = send(client, "post", SPACES, new_space(site, site=999_999))

    assert response.status_code == 400
    assert response.json() == missing.json()
    assert set(response.json()) == {"site"}
    assert not Space.objects.filter(name="Salle Zola").exists()


@pytest.mark.parametrize("who", ["member", None])
def test_space_create_is_refused_to_who_manages_no_site(who, client, site, request):
    as_user(client, request.getfixturevalue(who) if who else None)

    response = send(client, "post", SPACES, new_space(site))

    assert response.status_code == 403
    assert not Space.objects.filter(name="Salle Zola").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capacity", 10**20),
        ("capacity", 0),
        ("name", "a\tb"),
        ("surface_m2", "NaN"),
        ("amenities", ["Piscine olympique"]),
        ("allowed_organisation_kinds", ["pirates"]),
        ("site", 10**20),
        ("min_booking_minutes", 10**9),
    ],
)
def test_space_create_refuses_hostile_input_with_a_400(field, value, client, commune_staff, site):
    as_user(client, commune_staff)

    response = send(client, "post", SPACES, new_space(site, **{field: value}))

    assert response.status_code == 400
    assert field in response.json() or "non_field_errors" in response.json()
    assert not Space.objects.filter(site=site).exists()


def test_space_create_refuses_a_minimum_duration_above_the_maximum(client, commune_staff, site):
    as_user(client, commune_staff)

    response = send(
        client, "post", SPACES, new_space(site, min_booking_minutes=600, max_booking_minutes=60)
    )

    assert response.status_code == 400
    assert not Space.objects.filter(site=site).exists()


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff", "facilities_manager"])
def test_space_update_changes_only_the_fields_sent(who, client, space, request):
    as_user(client, request.getfixturevalue(who))

    response = send(client, "patch", space_url(space), {"capacity": 40, "site": 12345})

    assert response.status_code == 200, response.json()
    space.refresh_from_db()
    assert (space.capacity, space.name, space.site.name) == (
        40,
        "Salle Usinor",
        "Les Grands Bureaux",
    )


@pytest.mark.parametrize("who", ["member", "other_manager", "other_commune_staff"])
def test_space_update_of_another_space_is_a_404(who, client, space, request):
    as_user(client, request.getfixturevalue(who))

    response = send(client, "patch", space_url(space), {"capacity": 1})

    assert response.status_code == 404
    space.refresh_from_db()
    assert space.capacity == 20


def test_space_update_by_an_anonymous_client_is_a_403(client, space):
    response = send(client, "patch", space_url(space), {"capacity": 1})

    assert response.status_code == 403


# --- Opening hours -----------------------------------------------------------------------------

WEEK = {
    "windows": [
        {"weekday": 0, "opens": "08:00", "closes": "12:00"},
        {"weekday": 0, "opens": "14:00", "closes": "18:00"},
        {"weekday": 2, "opens": "09:30:00", "closes": "21:00:00"},
    ]
}


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff", "facilities_manager"])
def test_opening_hours_put_replaces_the_whole_week(who, client, space, request):
    OpeningHoursFactory(space=space, weekday=5, opens=time(10), closes=time(12))
    as_user(client, request.getfixturevalue(who))

    response = send(client, "put", hours_url(space), WEEK)

    assert response.status_code == 200, response.json()
    assert list(
        OpeningHours.objects.filter(space=space)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    ) == [(0, time(8), time(12)), (0, time(14), time(18)), (2, time(9, 30), time(21))]
    assert response.json() == client.get(hours_url(space)).json()
    assert response.json()["windows"][0] == {
        "weekday": 0,
        "opens": "08:00:00",
        "closes": "12:00:00",
    }


def test_opening_hours_put_of_an_empty_week_opens_the_space_always(
    client, facilities_manager, space
):
    OpeningHoursFactory(space=space, weekday=5, opens=time(10), closes=time(12))
    as_user(client, facilities_manager)

    response = send(client, "put", hours_url(space), {"windows": []})

    assert response.status_code == 200
    assert not OpeningHours.objects.filter(space=space).exists()


def test_opening_hours_window_closing_before_it_opens_is_a_400_and_keeps_the_week(
    client, facilities_manager, space
):
    OpeningHoursFactory(space=space, weekday=5, opens=time(10), closes=time(12))
    as_user(client, facilities_manager)
    week = {"windows": [*WEEK["windows"], {"weekday": 1, "opens": "18:00", "closes": "08:00"}]}

    response = send(client, "put", hours_url(space), week)

    assert response.status_code == 400
    assert "windows" in response.json()
    assert list(OpeningHours.objects.filter(space=space).values_list("weekday", flat=True)) == [5]


@pytest.mark.parametrize(
    "windows",
    [
        [{"weekday": 7, "opens": "08:00", "closes": "12:00"}],
        [{"weekday": 0, "opens": "25:00", "closes": "26:00"}],
        [{"weekday": 0, "opens": "08:00+01:00", "closes": "12:00"}],
        [{"weekday": 0, "opens": "08:00"}],
        [{"weekday": 0, "opens": "08:00", "closes": "12:00"}] * 101,
        "lundi",
    ],
)
def test_opening_hours_hostile_input_is_a_400(windows, client, facilities_manager, space):
    as_user(client, facilities_manager)

    response = send(client, "put", hours_url(space), {"windows": windows})

    assert response.status_code == 400
    assert "windows" in response.json()


@pytest.mark.parametrize("who", ["member", "other_manager", "other_commune_staff"])
def test_opening_hours_of_another_space_are_a_404(who, client, space, request):
    as_user(client, request.getfixturevalue(who))

    assert client.get(hours_url(space)).status_code == 404
    assert send(client, "put", hours_url(space), WEEK).status_code == 404
    assert not OpeningHours.objects.filter(space=space).exists()


def test_opening_hours_need_a_session(client, space):
    assert client.get(hours_url(space)).status_code == 403
    assert send(client, "put", hours_url(space), WEEK).status_code == 403


# --- Closures ----------------------------------------------------------------------------------


def closure_body(**changes) -> dict:
    return {
        "start": "2027-02-01T00:00:00+01:00",
        "end": "2027-02-08T00:00:00+01:00",
        "reason": "Travaux de peinture",
        **changes,
    }


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff", "facilities_manager"])
def test_closure_create_closes_the_whole_site(who, client, site, space, request):
    as_user(client, request.getfixturevalue(who))

    response = send(client, "post", closures_url(site), closure_body())

    assert response.status_code == 201, response.json()
    closure = Closure.objects.get()
    assert (closure.site_id, closure.space_id, closure.start) == (site.pk, None, paris(2027, 2, 1))
    assert response.json()["site"] == site.pk
    assert Occupancy.objects.filter(closure=closure, space=space).exists()


def test_closure_create_closes_one_space(client, facilities_manager, site, space):
    as_user(client, facilities_manager)

    response = send(client, "post", closures_url(site), closure_body(space=space.pk))

    assert response.status_code == 201
    assert (response.json()["site"], response.json()["space"]) == (site.pk, space.pk)


def test_closure_of_a_space_of_another_site_is_a_400(client, territory_admin, site, other_site):
    other_space = SpaceFactory(site=other_site)
    as_user(client, territory_admin)

    response = send(client, "post", closures_url(site), closure_body(space=other_space.pk))

    assert response.status_code == 400
    assert set(response.json()) == {"space"}
    assert not Closure.objects.exists()


@pytest.fixture
def booked(space, booker):
    """A request on Tuesday 2 February 2027, 10:00–12:00, in the closure's week."""
    return booking_request_for(
        space=space,
        requested_by=booker,
        start=paris(2027, 2, 2, 10),
        end=paris(2027, 2, 2, 12),
    )


def test_closure_clashing_with_a_booking_is_a_409_listing_it(
    client, facilities_manager, site, booked
):
    as_user(client, facilities_manager)

    response = send(client, "post", closures_url(site), closure_body())

    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "conflicts"}
    assert len(body["conflicts"]) == 1
    clash = body["conflicts"][0]
    assert (parse_datetime(clash["start"]), parse_datetime(clash["end"])) == (
        paris(2027, 2, 2, 10),
        paris(2027, 2, 2, 12),
    )
    assert not Closure.objects.exists()
    booked.refresh_from_db()
    assert booked.status != BookingStatus.CANCELLED


def test_closure_with_cancel_bookings_cancels_the_dates_it_hits(
    client, facilities_manager, site, booked
):
    as_user(client, facilities_manager)

    response = send(client, "post", closures_url(site), closure_body(cancel_bookings=True))

    assert response.status_code == 201
    assert Booking.objects.get(pk=booked.pk).status == BookingStatus.CANCELLED


@pytest.mark.parametrize(
    "changes",
    [
        {"end": "2027-01-01T00:00:00+01:00"},
        {"start": "2027-02-01T00:00:00"},
        {"start": "99999-02-01T00:00:00+01:00"},
        {"reason": ""},
        {"reason": "a\x07b"},
        {"reason": "x" * 201},
        {"space": 10**20},
    ],
)
def test_closure_hostile_input_is_a_400(changes, client, facilities_manager, site):
    as_user(client, facilities_manager)

    response = send(client, "post", closures_url(site), closure_body(**changes))

    assert response.status_code == 400
    assert not Closure.objects.exists()


@pytest.mark.parametrize("who", ["member", "other_manager", "other_commune_staff"])
def test_closures_of_another_site_are_a_404(who, client, site, request):
    as_user(client, request.getfixturevalue(who))

    assert client.get(closures_url(site)).status_code == 404
    assert send(client, "post", closures_url(site), closure_body()).status_code == 404
    assert not Closure.objects.exists()


def test_closures_need_a_session(client, site):
    assert client.get(closures_url(site)).status_code == 403
    assert send(client, "post", closures_url(site), closure_body()).status_code == 403


def test_closure_list_gives_the_closures_not_yet_over(client, facilities_manager, site, space):
    past = closure_create(
        actor=facilities_manager,
        site=site,
        period=Period(paris(2026, 12, 1), paris(2026, 12, 2)),
        reason="Passée",
    )
    coming = closure_create(
        actor=facilities_manager,
        space=space,
        period=Period(paris(2027, 3, 1), paris(2027, 3, 2)),
        reason="Inventaire",
    )
    as_user(client, facilities_manager)

    response = client.get(closures_url(site))

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [coming.pk]
    assert past.pk not in [row["id"] for row in response.json()["results"]]
    assert response.json()["results"][0]["space"] == space.pk


@pytest.fixture
def closure(facilities_manager, site):
    return closure_create(
        actor=facilities_manager,
        site=site,
        period=Period(paris(2027, 3, 1), paris(2027, 3, 2)),
        reason="Inventaire",
    )


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff", "facilities_manager"])
def test_closure_delete_reopens_the_time(who, client, closure, request):
    as_user(client, request.getfixturevalue(who))

    response = client.delete(reverse("api:closure-detail", args=[closure.pk]))

    assert response.status_code == 204
    assert not Closure.objects.exists()
    assert not Occupancy.objects.filter(closure_id=closure.pk).exists()


@pytest.mark.parametrize("who", ["member", "other_manager", "other_commune_staff", None])
def test_closure_delete_by_another_is_refused(who, client, closure, request):
    as_user(client, request.getfixturevalue(who) if who else None)

    response = client.delete(reverse("api:closure-detail", args=[closure.pk]))

    assert response.status_code == (403 if who is None else 404)
    assert Closure.objects.filter(pk=closure.pk).exists()


# --- Query counts: a write does not read more for a bigger site -----------------------------------


def _count(client, method: str, url: str, body: object) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = send(client, method, url, body)
    assert response.status_code in (200, 201), response.content
    return len(queries)


def test_space_update_query_count_does_not_grow_with_the_site(client, facilities_manager, site):
    space = SpaceFactory(site=site)
    as_user(client, facilities_manager)
    _count(client, "patch", space_url(space), {"capacity": 30})  # warm-up
    one = _count(client, "patch", space_url(space), {"capacity": 31})
    SpaceFactory.create_batch(20, site=site)
    SiteFactory.create_batch(5, commune=site.commune)

    many = _count(client, "patch", space_url(space), {"capacity": 32})

    assert many == one


def test_opening_hours_put_query_count_does_not_grow_with_the_windows(
    client, facilities_manager, space
):
    as_user(client, facilities_manager)
    one_window = {"windows": WEEK["windows"][:1]}
    _count(client, "put", hours_url(space), one_window)  # warm-up
    one = _count(client, "put", hours_url(space), one_window)
    week = {
        "windows": [
            {"weekday": day, "opens": f"{hour:02}:00", "closes": f"{hour:02}:30"}
            for day in range(7)
            for hour in range(8, 18)
        ]
    }

    many = _count(client, "put", hours_url(space), week)

    assert many == one


def test_site_closure_query_count_does_not_grow_with_the_spaces(client, facilities_manager, site):
    SpaceFactory(site=site)
    as_user(client, facilities_manager)
    first = closure_body(start="2027-02-01T00:00:00+01:00", end="2027-02-02T00:00:00+01:00")
    one = _count(client, "post", closures_url(site), first)
    SpaceFactory.create_batch(20, site=site)
    later = closure_body(start="2027-03-01T00:00:00+01:00", end="2027-03-02T00:00:00+01:00")

    many = _count(client, "post", closures_url(site), later)

    assert many == one


# --- Photos ------------------------------------------------------------------------------------


def photo_file(name: str = "salle.jpg", *, content: bytes | None = None):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    if content is None:
        output = BytesIO()
        Image.new("RGB", (48, 32), (150, 75, 0)).save(output, format="JPEG")
        content = output.getvalue()
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def photos_url(site) -> str:
    return reverse("api:site-photo-create", args=[site.pk])


@pytest.mark.parametrize("who", ["territory_admin", "commune_staff", "facilities_manager"])
def test_photo_upload_re_encodes_and_answers_the_photo(who, client, site, space, request):
    as_user(client, request.getfixturevalue(who))

    response = client.post(
        photos_url(site), {"image": photo_file(), "alt_text": "La salle", "space": space.pk}
    )

    assert response.status_code == 201, response.json()
    photo = Photo.objects.get()
    assert (photo.site_id, photo.space_id, photo.alt_text) == (site.pk, space.pk, "La salle")
    assert response.json()["url"].endswith(".jpg")
    assert "salle" not in photo.image.name  # a new random name: the service re-encoded it


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"image": photo_file("x.jpg", content=b"<?php system($_GET['c']); ?>")}, "image"),
        ({"image": photo_file("x.jpg", content=b"")}, "image"),
        ({"image": photo_file("x.jpg", content=b"\xff\xd8" + b"0" * (5 * 1024 * 1024))}, "image"),
        ({"alt_text": "a\nb"}, "alt_text"),
        ({"space": 10**20}, "space"),
    ],
)
def test_photo_upload_refuses_hostile_input_with_a_400(
    changes, field, client, facilities_manager, site
):
    as_user(client, facilities_manager)

    response = client.post(photos_url(site), {"image": photo_file(), "alt_text": "x", **changes})

    assert response.status_code == 400
    assert field in response.json()
    assert not Photo.objects.exists()


def test_photo_upload_of_a_space_of_another_site_is_a_400(
    client, territory_admin, site, other_site
):
    other_space = SpaceFactory(site=other_site)
    as_user(client, territory_admin)

    response = client.post(
        photos_url(site), {"image": photo_file(), "alt_text": "x", "space": other_space.pk}
    )

    assert response.status_code == 400
    assert not Photo.objects.exists()


@pytest.mark.parametrize("who", ["member", "other_manager", "other_commune_staff", None])
def test_photo_upload_to_another_site_is_refused(who, client, site, request):
    as_user(client, request.getfixturevalue(who) if who else None)

    response = client.post(photos_url(site), {"image": photo_file(), "alt_text": "x"})

    assert response.status_code == (403 if who is None else 404)
    assert not Photo.objects.exists()


def test_photo_delete_by_a_manager_and_not_by_another(
    client, facilities_manager, other_manager, site
):
    photo = PhotoFactory(site=site)
    url = reverse("api:photo-detail", args=[photo.pk])

    as_user(client, other_manager)
    refused = client.delete(url)
    as_user(client, facilities_manager)
    deleted = client.delete(url)

    assert (refused.status_code, deleted.status_code) == (404, 204)
    assert not Photo.objects.exists()
