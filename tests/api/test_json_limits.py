"""JSON bodies are bounded in depth and size: a body nested 100,000 levels deep was a
RecursionError (a 500); now it is a 400 with a French message, and normal bodies still work."""

import io
import json

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.exceptions import ParseError

from api.parsers import BodyTooLarge, BoundedJSONParser
from bookings.models import Booking

BOOKINGS = reverse("api:booking-list")
DEEP = "[" * 100_000 + "]" * 100_000


pytestmark = pytest.mark.usefixtures("frozen_clock")


def _booking(space, user, **extra) -> dict:
    return {
        "space": space.pk,
        "organisation": user.memberships.get().organisation_id,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "start": "2027-01-12T18:00:00+01:00",
        "end": "2027-01-12T20:00:00+01:00",
        **extra,
    }


def test_a_body_nested_100000_levels_deep_is_a_400_in_french(client, member):
    client.force_login(member)

    response = client.post(BOOKINGS, DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Le corps JSON est trop profondément imbriqué (32 niveaux au plus)."
    )


def test_a_deep_object_under_a_field_is_a_400_and_books_nothing(client, space, booker):
    client.force_login(booker)
    body = json.dumps(_booking(space, booker))[:-1] + ', "extra": ' + '{"a": ' * 50_000
    body += "1" + "}" * 50_000 + "}"

    response = client.post(BOOKINGS, body, content_type="application/json")

    assert response.status_code == 400
    assert Booking.objects.count() == 0


def test_an_anonymous_deep_body_is_refused_without_a_server_error(client, db):
    # Authentication comes before the body is read: the anonymous client gets the API's 403.
    response = client.post(BOOKINGS, DEEP, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["detail"] == "Informations d'authentification non fournies."


def test_a_normal_booking_request_still_goes_through(client, space, booker):
    client.force_login(booker)
    # Brackets inside a string are text, not nesting.
    body = _booking(space, booker, purpose="[" * 40 + "Atelier" + "]" * 40)

    response = client.post(BOOKINGS, body, content_type="application/json")

    assert response.status_code == 201
    assert Booking.objects.get().purpose == "[" * 40 + "Atelier" + "]" * 40


def test_the_parser_accepts_a_body_nested_to_its_limit():
    nested = "[" * 32 + "]" * 32

    assert BoundedJSONParser().parse(io.BytesIO(nested.encode())) == json.loads(nested)


def test_the_parser_refuses_one_level_more():
    nested = "[" * 33 + "]" * 33

    with pytest.raises(ParseError):
        BoundedJSONParser().parse(io.BytesIO(nested.encode()))


def test_invalid_json_is_a_400_in_french(client, member):
    client.force_login(member)

    response = client.post(BOOKINGS, '{"space": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Le corps de la requête n’est pas du JSON valide (ligne 1, colonne 11)."
    )


@override_settings(REQUEST_BODY_MAX_BYTES=1024)
def test_the_parser_reads_no_more_than_the_body_cap():
    # A chunked body has no Content-Length for the middleware to check.
    body = json.dumps({"purpose": "x" * 2048}).encode()

    with pytest.raises(BodyTooLarge):
        BoundedJSONParser().parse(io.BytesIO(body))
