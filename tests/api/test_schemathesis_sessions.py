"""The API's schema against its answers, as the anonymous visitor and the facilities manager
(the machinery and the other roles: tests/api/test_schemathesis.py)."""

import pytest

from tests.api.test_schemathesis import fuzz

ROLES_HERE = ["anonymous", "manager"]


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ROLES_HERE)
def test_the_api_answers_as_its_schema_says(role, transactional_db, settings):
    fuzz(role, settings)
