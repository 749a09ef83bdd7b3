"""Structured logs (core/logging.py): one JSON line per request and per job, with the request id,
and nothing secret or personal in them (issue 11, "Health, timeouts, logs").

The tests read what the console handler configured by settings.LOGGING writes (its stream is
swapped for a buffer), so they see exactly the production lines.
"""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from celery import Celery
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.logging import JsonFormatter, RequestLogMiddleware
from core.tasks import heartbeat
from tests.factories import UserFactory
from tests.stack import ROOT

PASSWORD = "secret-password-42"  # UserFactory's


@pytest.fixture
def log_output() -> io.StringIO:
    """What the root logger's JSON handler (settings.LOGGING "console") writes."""
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _lines(buffer: io.StringIO, logger: str | None = None) -> list[dict]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [line for line in lines if logger is None or line["logger"] == logger]


def test_request_line_has_method_path_status_duration_request_id_and_user(client, db, log_output):
    user = UserFactory()
    client.force_login(user)

    response = client.get("/espaces/?page=1")

    [line] = _lines(log_output, "locaux.requests")
    assert {key: line[key] for key in ("level", "method", "path", "status", "user_id")} == {
        "level": "INFO",
        "method": "GET",
        "path": "/espaces/",
        "status": 200,
        "user_id": user.pk,
    }
    assert line["request_id"] == response["X-Request-ID"]
    assert isinstance(line["duration_ms"], float)
    assert line["time"].endswith("+00:00")


def test_djangos_error_line_of_a_request_carries_its_request_id(client, db, log_output):
    """Django logs a 404 or a 5xx after the middleware chain has answered: the same id."""
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404-0123456789")

    [django_line] = _lines(log_output, "django.request")
    assert response.status_code == 404
    assert django_line["request_id"] == "req-404-0123456789"


def test_request_line_of_an_anonymous_probe_loads_no_user(client, db, log_output):
    client.get("/healthz")

    [line] = _lines(log_output, "locaux.requests")
    assert (line["path"], line["user_id"]) == ("/healthz", None)


def test_well_formed_request_id_is_echoed_and_logged(client, db, log_output):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")

    [line] = _lines(log_output, "locaux.requests")
    assert response["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    assert line["request_id"] == "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "sent",
    ["short", "x" * 65, "abc def ghi jkl", 'a"b\nINFO forged line', "alice@example.test"],
)
def test_malformed_request_id_is_replaced_by_a_generated_one(client, db, log_output, sent):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)

    [line] = _lines(log_output, "locaux.requests")
    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32
    assert line["request_id"] == response["X-Request-ID"]
    assert sent not in log_output.getvalue()


def test_passwords_addresses_and_tokens_never_reach_the_log(client, db, log_output):
    victim = UserFactory(email="victime@example.test")
    secrets = {
        "the wrong password": "wrong-password-4711",
        "the right password": PASSWORD,
        "the e-mail address": victim.email,
        "the e-mail in a query string": "quelquun@example.test",
        "the token in a query string": "query-token-8f3a9c",
        "the invitation token in the path": "invitation-token-5b7e21",
        "the calendar feed token in the path": "feed-token-c0ffee42",
    }

    client.post(
        "/accounts/login/", {"username": victim.email, "password": secrets["the wrong password"]}
    )
    client.post("/accounts/login/", {"username": victim.email, "password": PASSWORD})
    client.get("/espaces/?email=quelquun@example.test&token=query-token-8f3a9c")
    client.get("/page-absente/?token=query-token-8f3a9c")  # Django's own "Not Found" warning
    client.get(reverse("accounts:invitation-accept", args=["invitation-token-5b7e21"]))
    client.get(reverse("bookings:feed-ics", kwargs={"token": "feed-token-c0ffee42"}))
    # A failed job as Celery logs it, with the task's arguments in `data`.
    logging.getLogger("celery.app.trace").error(
        "Task bookings.tasks.x[1] raised unexpected: ValueError()",
        extra={"data": {"args": "('quelquun@example.test',)", "kwargs": "{}"}},
    )

    output = log_output.getvalue()
    paths = [line["path"] for line in _lines(log_output, "locaux.requests")]
    assert paths == [
        "/accounts/login/",
        "/accounts/login/",
        "/espaces/",
        "/page-absente/",
        "/accounts/invitations/<token>/",
        "/reservations/ics/<token>.ics",
    ]
    assert [what for what, secret in secrets.items() if secret in output] == []


def test_a_job_logs_one_line_with_its_name_state_duration_and_request_id(db, log_output):
    heartbeat.apply(headers={"request_id": "job-request-0042"})

    [line] = _lines(log_output, "locaux.jobs")
    assert {key: line[key] for key in ("task", "state", "request_id")} == {
        "task": "core.tasks.heartbeat",
        "state": "SUCCESS",
        "request_id": "job-request-0042",
    }
    assert isinstance(line["duration_ms"], float)
    assert line["task_id"]


def test_a_job_queued_by_a_request_carries_the_request_id(rf: RequestFactory):
    broker = Celery(broker="memory://", set_as_current=False)
    request = rf.get("/", HTTP_X_REQUEST_ID="request-to-job-0042")

    def view(request):
        broker.send_task("core.tasks.heartbeat")
        return HttpResponse()

    RequestLogMiddleware(view)(request)

    with broker.connection_for_read() as connection:
        message = connection.SimpleQueue("celery").get(timeout=5)
    assert message.headers["request_id"] == "request-to-job-0042"
    broker.close()


@pytest.mark.parametrize(("debug", "formatter"), [("true", "text"), ("false", "json")])
def test_log_format_is_json_in_production_and_text_in_development(debug, formatter):
    env = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    env["DEBUG"] = debug

    chosen = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; "
            "print(settings.LOGGING['handlers']['console']['formatter'])",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert chosen == formatter
