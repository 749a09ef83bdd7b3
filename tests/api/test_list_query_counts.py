"""Every list of the API answers in the same number of queries for 1 row and for 50 (issue 14).

The lists are found in the generated schema, not named by hand: a GET whose 200 body is a page
(`{count, next, previous, results}`) or an array. Each one must have its case in
tests/test_query_counts.py (`CASES`, the registry of every list of the site), which builds 1
row then 50 with the factories and asserts the same, exact count, for a role that sees them. A
new list endpoint fails here until its case exists there; a page must be measured full.
"""

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from tests.test_query_counts import CASES, MANY


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = schema["components"][section][name]
    return node


def api_lists() -> dict[str, str]:
    """`url name → "page" | "array"` for every GET of the schema that answers a list."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lists = {}
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        content = operation["responses"]["200"]["content"].get("application/json")
        if content is None:
            continue  # a file (a PDF, a CSV: api/documents.py)
        body = _resolve(schema, content["schema"])
        if body.get("type") == "array":
            shape = "array"
        elif {"count", "results"} <= set(body.get("properties", {})):
            shape = "page"
        else:
            continue
        match = resolve(path.replace("{id}", "1"))
        lists[f"{match.namespace}:{match.url_name}"] = shape
    return lists


LISTS = api_lists()


def test_the_schema_lists_are_found():
    """The discovery itself: the lists known today are among those found."""
    assert {"api:booking-list", "api:space-list", "api:payment-list"} <= set(LISTS)
    assert LISTS["api:payment-list"] == "array"  # the exception (docs/api.md, "Pagination")
    assert LISTS["api:space-list"] == "page"


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_api_list_has_its_query_count_case(name):
    assert name in CASES, (
        f"{name} answers a list: add its case to tests/test_query_counts.py (`@case({name!r}, "
        "sqlite=N)`: build `count` rows with the factories, return the request of a role that "
        "sees them); it asserts the same query count for 1 row and 50"
    )
    page = CASES[name].page
    if LISTS[name] == "page":
        assert page is None or page >= MANY, f"{name}: measure a full page ({MANY} rows)"
