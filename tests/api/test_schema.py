"""The OpenAPI schema: generated without warnings, valid, and served at /api/schema/."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

API_PATHS = {
    "/api/v1/communes/",
    "/api/v1/sites/",
    "/api/v1/sites/{id}/",
    "/api/v1/spaces/",
    "/api/v1/spaces/{id}/",
}


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_spectacular_generates_the_schema_without_warnings(tmp_path):
    GENERATOR_STATS.reset()  # warnings are counted process-wide, and only once each
    output = tmp_path / "schema.yml"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(output),
        stderr=io.StringIO(),
    )

    assert output.read_text().startswith("openapi: 3")


def test_schema_endpoint_lists_the_api_paths(schema):
    assert set(schema["paths"]) >= API_PATHS


def test_schema_endpoint_serves_a_valid_openapi_document(schema):
    validate_schema(schema)


def test_schema_documents_the_space_filters(schema):
    parameters = schema["paths"]["/api/v1/spaces/"]["get"]["parameters"]

    assert {parameter["name"] for parameter in parameters} >= {
        "commune",
        "kind",
        "capacity_min",
        "surface_min",
        "surface_max",
        "mode",
        "step_free",
        "vacant",
        "page",
        "page_size",
    }
