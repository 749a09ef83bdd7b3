"""Schemathesis against the API, in process, per role: the API answers what its schema says.

Each role (anonymous, a structure member, the facilities manager) gets the demo territory and
schemathesis's engine, the one behind its command line: examples, boundary values (coverage)
and random fuzzing, valid and invalid data, for every operation of /api/schema/. Five checks
must hold for every answer: no server error, a documented status, a documented content type, a
body that matches the documented schema, the documented headers.

The engine calls the WSGI application from worker threads, which open their own database
connections: the data is committed (`transactional_db`) and flushed after each role.

SCHEMATHESIS_MAX_EXAMPLES (default 10) bounds the fuzzing per operation; more finds more:
  SCHEMATHESIS_MAX_EXAMPLES=200 .venv/bin/python -m pytest tests/api/test_schemathesis.py
"""

import io
import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connections
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from schemathesis.engine import Status, events, from_schema

from accounts.models import User

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]
ROLES = {
    "anonymous": None,
    "member": "asso@demo.test",  # administrator of an association
    "manager": "gestionnaire@demo.test",  # facilities manager of the Denain building
}
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261205"))


def _credentials(email: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """A signed-in browser's cookies (its session, the CSRF token) and the header that DRF's
    SessionAuthentication asks of every unsafe method with them."""
    if email is None:
        return {}, {}
    client = Client()
    client.force_login(User.objects.get(email=email))
    token = get_token(RequestFactory().get("/"))
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    return cookies, {"X-CSRFToken": token}


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


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_as_its_schema_says(role, transactional_db, settings):
    settings.DEMO_MODE = True
    # Thousands of requests in a few minutes: throttling (tested on its own, its 429 is in the
    # schema) would answer nothing but 429.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        ),
    }
    call_command("seed_demo", stdout=io.StringIO())
    cookies, headers = _credentials(ROLES[role])
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": headers,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "mode": "all",
                # A generated `sessionid` cookie (the schema's cookieAuth) would replace the
                # role's own session.
                "with-security-parameters": ROLES[role] is None,
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {
                # Methods a path does not serve (405) are none of these checks' business.
                "coverage": {"unexpected-methods": []},
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
    assert (own_bookings > 0) is (role != "anonymous")
