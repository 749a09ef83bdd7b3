"""Every request body of the API: text without control characters, numbers bounded to their
column (walked over the request serializers of the URLconf, so a new endpoint cannot forget),
and the reproductions: 10**20 and control characters answered with a French 400, never a 500."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from api.fields import IdField
from bookings.models import Allocation, Booking
from core.validators import (
    MAX_BIG_INTEGER,
    MAX_INTEGER,
    validate_multi_line,
    validate_single_line,
)

BIG = 10**20


def _request_serializers() -> list[tuple[str, serializers.BaseSerializer]]:
    """The request serializer of every write endpoint, as drf-spectacular documents it."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    found = []
    for path, path_regex, method, view in generator._get_paths_and_endpoints():
        if method not in ("POST", "PUT", "PATCH"):
            continue
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.get_operation(path, path_regex, "^/api", method, generator.registry)
        serializer = view.schema.get_request_serializer()
        if serializer is None:
            continue
        if isinstance(serializer, type):
            serializer = serializer()
        found.append((f"{method} {path}", serializer))
    return found


def _writable_fields(serializer: serializers.BaseSerializer, prefix: str):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        label = f"{prefix}.{name}"
        if isinstance(field, serializers.ListSerializer):
            yield from _writable_fields(field.child, label)
        elif isinstance(field, serializers.BaseSerializer):
            yield from _writable_fields(field, label)
        elif isinstance(field, serializers.ListField):
            yield label, field.child
        else:
            yield label, field


def _fields(kind):
    return [
        pytest.param(field, id=label)
        for endpoint, serializer in _request_serializers()
        for label, field in _writable_fields(serializer, endpoint)
        if isinstance(field, kind)
    ]


def test_the_walk_finds_the_request_serializers():
    endpoints = {endpoint for endpoint, _ in _request_serializers()}

    assert {"POST /api/v1/bookings/", "POST /api/v1/allocations/"} <= endpoints


@pytest.mark.parametrize("field", _fields(serializers.CharField))
def test_every_text_of_a_request_refuses_control_characters(field):
    assert validate_single_line in field.validators or validate_multi_line in field.validators


@pytest.mark.parametrize("field", _fields(serializers.IntegerField | serializers.DecimalField))
def test_every_number_of_a_request_is_bounded_to_its_column(field):
    # Ids are bigint columns; every other number is stored in an integer column or smaller.
    high = MAX_BIG_INTEGER if isinstance(field, IdField) else MAX_INTEGER

    assert field.min_value is not None
    assert field.max_value is not None
    assert -high - 1 <= field.min_value <= field.max_value <= high


# --- Reproductions ---------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("frozen_clock")


def _allocation(office, structure, /, **extra) -> dict:
    return {
        "spaces": [office.pk],
        "structure": structure.pk,
        "start": "2027-02-01",
        "end": "2028-02-01",
        "annual_fee_cents": 120_000,
        "direct_reason": "Un seul occupant possible",
        **extra,
    }


@pytest.mark.parametrize("field", ["annual_fee_cents", "deposit_cents"])
def test_an_allocation_with_10_to_the_20_cents_is_a_400_in_french(
    client, facilities_manager, verified, office, field
):
    client.force_login(facilities_manager)

    response = client.post(
        reverse("api:allocation-list"),
        _allocation(office, verified, **{field: BIG}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        field: ["Assurez-vous que cette valeur est inférieure ou égale à 1000000000."]
    }
    assert not Allocation.objects.exists()


@pytest.mark.parametrize("field", ["spaces", "structure"])
def test_an_allocation_naming_an_id_of_10_to_the_20_is_a_400(
    client, facilities_manager, verified, office, field
):
    client.force_login(facilities_manager)
    value = [BIG] if field == "spaces" else BIG

    response = client.post(
        reverse("api:allocation-list"),
        _allocation(office, verified, **{field: value}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not Allocation.objects.exists()


def _booking(space, user, /, **extra) -> dict:
    return {
        "space": space.pk,
        "organisation": user.memberships.get().organisation_id,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "start": "2027-01-12T18:00:00+01:00",
        "end": "2027-01-12T20:00:00+01:00",
        **extra,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("attendees", BIG), ("space", BIG), ("organisation", BIG), ("repeat_count", BIG)],
)
def test_a_booking_request_with_10_to_the_20_is_a_400_on_that_field(
    client, space, booker, field, value
):
    client.force_login(booker)
    extra = {"frequency": "weekly"} if field == "repeat_count" else {}

    response = client.post(
        reverse("api:booking-list"),
        _booking(space, booker, **extra, **{field: value}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Booking.objects.exists()


@pytest.mark.parametrize("purpose", ["Réunion\x00", "Réunion\nx { a: url(http://x) }", "A\u2028B"])
def test_a_booking_request_whose_purpose_has_a_control_character_is_a_400(
    client, space, booker, purpose
):
    client.force_login(booker)

    response = client.post(
        reverse("api:booking-list"),
        _booking(space, booker, purpose=purpose),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["purpose"]
    assert not Booking.objects.exists()


def test_a_booking_request_whose_purpose_has_a_line_break_says_so_in_french(client, space, booker):
    client.force_login(booker)

    response = client.post(
        reverse("api:booking-list"),
        _booking(space, booker, purpose="Asso\n}} html { background: url(http://127.0.0.1/x) }"),
        content_type="application/json",
    )

    assert response.json() == {
        "purpose": [
            "Ce champ ne peut pas contenir de retour à la ligne ni de caractère de contrôle."
        ]
    }
