"""Schemathesis against the API, in process, per role: the API answers what its schema says.

Each role (anonymous; a structure member and the facilities manager signed in by a session,
then by an API token; the member by a read-only token, by a token for one of their two
organisations and by a revoked token) gets the demo territory and schemathesis's engine, the
one behind its command line: examples, boundary values (coverage) and random fuzzing, valid
and invalid data, for every operation of /api/schema/. Five checks
must hold for every answer: no server error, a documented status, a documented content type, a
body that matches the documented schema, the documented headers.

The engine calls the WSGI application from worker threads, which open their own database
connections: the data is committed (`transactional_db`) and flushed after each role.

SCHEMATHESIS_MAX_EXAMPLES (default 10) bounds the fuzzing per operation; more finds more:
  SCHEMATHESIS_MAX_EXAMPLES=200 .venv/bin/python -m pytest tests/api/test_schemathesis*.py
The token roles fuzz a fifth of that (at least 2): what the token changes is who the caller is,
which the session roles' random data has already met. Boundary values (the coverage phase, the
bulk of the requests) are run for the session roles and the member's write token; the other
token roles (the manager's, read-only, one organisation, revoked) leave them out, which halves
the test's time now that the API has some 120 operations (CI's time is bounded).
"""

import io
import os
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connections
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone
from schemathesis.engine import Status, events, from_schema

from accounts.models import ApiTokenScope, Membership, MembershipRole, Organisation, User
from accounts.services.tokens import api_token_create, api_token_revoke

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]
MEMBER = "asso@demo.test"  # administrator of an association
MANAGER = "gestionnaire@demo.test"  # facilities manager of the Denain building
# Whose organisation the member also joins for the organisation-scoped token.
OTHER_ORGANISATION_OF = "insertion@demo.test"


@dataclass(frozen=True)
class Role:
    email: str | None = None
    token: ApiTokenScope | None = None  # an API token of this scope, not a browser session
    one_organisation: bool = False  # the token acts for one of the user's two organisations
    revoked: bool = False  # the token was revoked: every answer is a 401
    # Boundary values (the coverage phase): for the sessions and one write token. The other
    # token roles change who calls, not what is sent; their random data reaches every operation.
    boundaries: bool = True


ROLES = {
    "anonymous": Role(),
    "member": Role(MEMBER),
    "manager": Role(MANAGER),
    "member-token": Role(MEMBER, ApiTokenScope.WRITE),
    "manager-token": Role(MANAGER, ApiTokenScope.WRITE, boundaries=False),
    "member-read-token": Role(MEMBER, ApiTokenScope.READ, boundaries=False),
    "member-organisation-token": Role(
        MEMBER, ApiTokenScope.WRITE, one_organisation=True, boundaries=False
    ),
    # Refused before anything is read: its boundary values would all be the same 401.
    "revoked-token": Role(MEMBER, ApiTokenScope.WRITE, revoked=True, boundaries=False),
}
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
TOKEN_MAX_EXAMPLES = max(2, MAX_EXAMPLES // 5)
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261205"))
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _credentials(role: Role) -> tuple[dict[str, str], dict[str, str]]:
    """The cookies and headers of the role's every request: none for anonymous; with a token,
    its `Authorization` header alone (no cookie, no CSRF token); otherwise a signed-in
    browser's cookies (its session, the CSRF token) and the header that DRF's
    SessionAuthentication asks of every unsafe method with them."""
    if role.email is None:
        return {}, {}
    if role.token is not None:
        return {}, {"Authorization": f"Bearer {_token(role)}"}
    email = role.email
    client = Client()
    client.force_login(User.objects.get(email=email))
    token = get_token(RequestFactory().get("/"))
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    return cookies, {"X-CSRFToken": token}


def _token(role: Role) -> str:
    """A new token's secret, as the role's user creates it on their profile page. For one
    organisation: the user first joins a second one, so that the token leaves one out.
    Revoked: at once, as on that page."""
    user = User.objects.get(email=role.email)
    organisation = None
    if role.one_organisation:
        organisation = Organisation.objects.get(memberships__user=user)
        other = Organisation.objects.get(memberships__user__email=OTHER_ORGANISATION_OF)
        Membership.objects.create(user=user, organisation=other, role=MembershipRole.ADMIN)
    created, secret = api_token_create(
        actor=user,
        name="Schemathesis",
        scope=role.token,
        organisation=organisation,
        expires_at=timezone.now() + timedelta(days=1),
    )
    if role.revoked:
        api_token_revoke(actor=user, token=created)
    return secret


def _send_cookies(schema, cookies: dict[str, str]) -> None:
    """Add the cookies to every request (a `Cookie` header would be dropped by the in-process
    client)."""

    class Cookies:
        def get(self, case, context) -> dict[str, str]:
            return cookies

        def set(self, case, data: dict[str, str], context) -> None:
            case.cookies = {**(case.cookies or {}), **data}

    schema.auth(refresh_interval=None)(Cookies)


def _application():
    """Django's WSGI application, closing the response (Django's request_finished) and the
    calling thread's database connections after each request: the engine's worker threads end
    without Django knowing, and a connection left open is a ResourceWarning."""
    handler = WSGIHandler()

    def application(environ, start_response):
        response = handler(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
            connections.close_all()

    return application


def _failure(recorder, case_id: str, check) -> str:
    case = recorder.cases[case_id].value
    failure = check.failure_info.failure
    body = "" if case.body is None or type(case.body).__name__ == "NotSet" else case.body
    return (
        f"{recorder.label} [{check.name}] {failure.title}: {failure.message[:600]}\n"
        f"    {case.method} {case.formatted_path} query={case.query} body={str(body)[:300]}"
    )


# The roles are split over three test modules, so that `make test`'s workers (pytest-xdist,
# one module per worker at a time) fuzz them side by side: this one, the member's session (the
# longest: it may write everything); test_schemathesis_sessions.py, the anonymous visitor and
# the manager; test_schemathesis_tokens.py, the API tokens.
ROLES_HERE = ["member"]


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ROLES_HERE)
def test_the_api_answers_as_its_schema_says(role, transactional_db, settings):
    fuzz(role, settings)


def fuzz(role: str, settings) -> None:
    """Run schemathesis's engine as `role` (a key of ROLES) and check every answer. Needs a
    committed database (`transactional_db`): the engine's threads open their own connections."""
    settings.DEMO_MODE = True
    # Thousands of requests in a few minutes: throttling (tested on its own, its 429 is in the
    # schema) would answer nothing but 429.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        ),
    }
    # Nor the count of bad tokens per address (api/authentication.py): the revoked token's
    # every request is one.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_token_invalid": "1000000/minute"}
    call_command("seed_demo", stdout=io.StringIO())
    who = ROLES[role]
    cookies, headers = _credentials(who)
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": headers,
            "generation": {
                "max-examples": MAX_EXAMPLES if who.token is None else TOKEN_MAX_EXAMPLES,
                "database": "none",
                "mode": "all",
                # A generated `sessionid` cookie or `Authorization` header (the schema's
                # cookieAuth, bearerAuth) would replace the role's own credentials.
                "with-security-parameters": who.email is None,
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {
                "coverage": {
                    "enabled": who.boundaries,
                    # Methods a path does not serve (405) are none of these checks' business.
                    "unexpected-methods": [],
                },
                "stateful": {"enabled": False},
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", _application(), config=config
    )
    _send_cookies(schema, cookies)

    failures, errors, answers, phases = [], [], Counter(), Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            phases[event.phase.value] += len(recorder.interactions)
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    answers[recorder.label, interaction.response.status_code] += 1
            for case_id, checks in recorder.checks.items():
                failures.extend(
                    _failure(recorder, case_id, check)
                    for check in checks
                    if check.status == Status.FAILURE
                )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(f"{getattr(event, 'label', '')}: {event.info.message}")

    statuses = Counter()
    for (_, status), count in answers.items():
        statuses[status] += count
    summary = f"{sum(answers.values())} requests, by status {dict(sorted(statuses.items()))}"
    print(f"{role}: {summary}, by phase {dict(phases)}")  # noqa: T201 (the measure, with -s)
    assert not errors, "\n".join(errors)
    assert not failures, "\n".join(dict.fromkeys(failures))
    # The run reached every operation, and the role is who it says.
    operations = {label for label, _ in answers}
    assert len(operations) == sum(1 for _ in schema.get_all_operations())
    own_bookings = answers["GET /api/v1/bookings/", 200]
    assert (own_bookings > 0) is (who.email is not None and not who.revoked)
    if who.revoked:
        # Every operation says so, with its challenge (response_headers_conformance: the
        # documented `WWW-Authenticate`); only a path that is no URL (`/bookings/0.5/`, invalid
        # data) is a 404 first.
        assert {label for label, status in answers if status == 401} == operations
        assert set(statuses) <= {401, 404}, statuses
    if who.token == ApiTokenScope.READ:
        # A read-only token changes nothing: every write is refused, none succeeds.
        writes = {label for label, _ in answers if label.startswith(UNSAFE)}
        assert writes
        assert {label for label in writes if answers[label, 403]} == writes
        assert not [key for key in answers if key[0] in writes and key[1] < 400]


def test_the_three_modules_fuzz_every_role_once():
    from tests.api import test_schemathesis_sessions, test_schemathesis_tokens

    modules = (
        ROLES_HERE,
        test_schemathesis_sessions.ROLES_HERE,
        test_schemathesis_tokens.ROLES_HERE,
    )
    fuzzed = [role for roles in modules for role in roles]
    assert sorted(fuzzed) == sorted(ROLES)
