"""The API's schema against its answers, called with API tokens: write, manager's, read-only,
one organisation, revoked (the machinery and the other roles: tests/api/test_schemathesis.py)."""

import pytest

from tests.api.test_schemathesis import ROLES, fuzz

ROLES_HERE = [role for role, who in ROLES.items() if who.token is not None]


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ROLES_HERE)
def test_the_api_answers_as_its_schema_says(role, transactional_db, settings):
    fuzz(role, settings)
