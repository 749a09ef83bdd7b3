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


PAGED_LISTS = [
    "/api/v1/allocations/",
    "/api/v1/applications/",
    "/api/v1/availability/",
    "/api/v1/bookings/",
    "/api/v1/calls/",
    "/api/v1/communes/",
    "/api/v1/sites/",
    "/api/v1/spaces/",
]


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = schema["components"][section][name]
    return node


@pytest.mark.parametrize("path", PAGED_LISTS)
def test_a_list_that_answers_a_page_is_documented_as_a_page(schema, path):
    operation = schema["paths"][path]["get"]
    body = _resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])

    assert body["type"] == "object"
    assert set(body["required"]) == {"count", "results"}
    assert {p["name"] for p in operation["parameters"]} >= {"page", "page_size"}
    assert "404" in operation["responses"]  # past the last page


def test_every_operation_documents_throttling_with_retry_after(schema):
    for path, method, operation in _operations(schema):
        response = _resolve(schema, operation["responses"]["429"])
        assert response["headers"]["Retry-After"]["required"], (method, path)


def test_every_error_body_is_documented(schema):
    """Each status an operation can answer has the body of api/exceptions.py: a documented
    status without content would let any body through."""
    for path, method, operation in _operations(schema):
        statuses = set(operation["responses"])
        unsafe = method in {"post", "put", "patch", "delete"}
        with_path_id = "{id}" in path
        if unsafe:
            assert statuses >= {"400", "403", "404", "413", "415", "429"}, (method, path)
        if with_path_id:
            assert "404" in statuses, (method, path)
        for status in statuses - {"200", "201", "204"}:  # 204: No Content, by definition
            response = _resolve(schema, operation["responses"][status])
            assert "application/json" in response["content"], (method, path, status)


def test_the_error_shapes_are_those_of_the_exception_handler(schema):
    schemas = schema["components"]["schemas"]

    assert schemas["Error"]["required"] == ["detail"]
    assert set(schemas["BookingConflict"]["required"]) == {"detail", "conflicts"}
    assert set(schemas["TransitionRefused"]["required"]) == {"detail", "status"}
    assert set(schemas["PaymentError"]["required"]) == {"detail", "code"}


def test_signing_an_agreement_documents_both_kinds_of_conflict(schema):
    """A 409 there is a clash with bookings or a refused status change: its body may be either."""
    response = schema["paths"]["/api/v1/allocations/{id}/sign/"]["post"]["responses"]["409"]
    body = _resolve(schema, response["content"]["application/json"]["schema"])

    assert {one["$ref"].rsplit("/", 1)[1] for one in body["oneOf"]} == {
        "BookingConflict",
        "TransitionRefused",
    }


def test_operations_reaching_stripe_document_the_refused_card_and_stripe_out_of_reach(schema):
    for path in ["/api/v1/payments/{id}/pay/", "/api/v1/bookings/{id}/payment/"]:
        responses = schema["paths"][path]["post"]["responses"]
        assert {"402", "503"} <= set(responses), path


def test_an_unknown_api_url_answers_the_documented_json_404(client, db):
    response = client.get("/api/v1/sites/not-a-number/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_a_huge_id_in_a_query_is_a_400_not_a_500(client, member):
    """Found by schemathesis: ?booking=10**25 overflowed the database's integer (a 500)."""
    client.force_login(member)

    payments = client.get("/api/v1/payments/", {"booking": 10**25})
    applications = client.get("/api/v1/applications/", {"call": 10**25})

    assert (payments.status_code, applications.status_code) == (400, 400)
    assert set(payments.json()) == {"booking"}
    assert set(applications.json()) == {"call"}
