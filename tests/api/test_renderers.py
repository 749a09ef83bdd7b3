"""api.renderers.JSONRenderer writes exactly what DRF's JSONRenderer writes."""

import datetime
import decimal
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import JSONRenderer

PARIS = ZoneInfo("Europe/Paris")
lazy_text = lazy(lambda: "Salle polyvalente", str)

CASES = {
    "page": ReturnDict(
        {
            "count": 2,
            "next": None,
            "results": ReturnList(
                [{"id": 1, "name": "Salle Émile-Zola", "surface_m2": "120.50"}], serializer=None
            ),
        },
        serializer=None,
    ),
    "aware datetimes": {
        "utc": datetime.datetime(2027, 3, 28, 1, 30, tzinfo=datetime.UTC),
        "paris": datetime.datetime(2027, 3, 28, 3, 30, 15, 123456, tzinfo=PARIS),
    },
    "dates and times": [
        datetime.date(2027, 1, 12),
        datetime.time(18, 0),
        datetime.time(9, 5, 3, 7),
    ],
    "decimal, uuid, lazy, safe": [
        decimal.Decimal("12.30"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        lazy_text(),
        mark_safe("<b>"),
    ],
    "line separators": {"text": "a\u2028b\u2029c", "control": "\x00\x1f\t\n"},
    "beyond 64 bits": {"big": 10**20},
    "keys that are not strings": {1: "a", 2: "b"},
    "floats": [0.1, 1e21, -0.0, 3.0],
    "timedelta": {"elapsed": datetime.timedelta(hours=1, minutes=30)},
    "nested": {"a": [{"b": [{"c": [None, True, False]}]}]},
}


@pytest.mark.parametrize("name", CASES)
def test_the_same_bytes_as_drf(name):
    data = CASES[name]
    assert JSONRenderer().render(data) == DrfJSONRenderer().render(data)


def test_indented_output_is_drfs():
    media_type = "application/json; indent=4"
    data = CASES["page"]
    rendered = JSONRenderer().render(data, media_type)
    assert rendered == DrfJSONRenderer().render(data, media_type)
    assert b'\n    "count": 2' in rendered


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_the_api_answers_through_it(client):
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0] == "api.renderers.JSONRenderer"
    response = client.get("/api/v1/communes/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == DrfJSONRenderer().render(response.data)
