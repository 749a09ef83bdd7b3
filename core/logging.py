"""Structured logs: one line per request and one per background job, with a request id.

In production (LOG_FORMAT=json, the default when DEBUG is off) every line is a JSON object
(python-json-logger), so that the log collector can filter on `request_id`, `status` or
`user_id` without parsing text. What is deliberately left out, because logs are kept, copied
and read by more people than the database: the query string (tokens, e-mail addresses in
searches), the values of secret URL parts (invitation and calendar-feed tokens), request
bodies (passwords) and the client's address (the reverse proxy's access log and the security
log of failed logins keep it, with their own retention; docs/decisions.md).

The request id comes from the X-Request-ID header when it is well formed (the reverse proxy or
load balancer sets one), else it is generated; it is echoed in the response, attached to every
line logged while the request runs, and sent along with the jobs the request queues.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# A proxy's id (nginx's $request_id is 32 hex digits, a UUID has dashes); anything else, which
# could carry newlines or someone's data into the log, is replaced by our own.
REQUEST_ID_FORMAT = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Celery message header that carries the id to the worker.
JOB_REQUEST_ID_HEADER = "request_id"
# URL parts whose value is a credential: logged as "<name>".
SECRET_URL_PARTS = re.compile(r"token|secret|key|uidb64|signature", re.IGNORECASE)

request_logger = logging.getLogger("locaux.requests")
job_logger = logging.getLogger("locaux.jobs")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_get() -> str | None:
    """The id of the request (or job) being handled in this thread, if any."""
    return _request_id.get()


def request_id_from(value: str | None) -> str:
    """`value` if it is a well-formed request id, else a new one."""
    if value and REQUEST_ID_FORMAT.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (None outside a request or a job), and hide
    the secret URL parts in the path Django's request logger puts in its messages ("Not Found:
    /accounts/invitations/<the token>/")."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if not hasattr(record, "request_id"):
            # Django's request logger writes its "Not Found" and 5xx lines once the middleware
            # has answered (its context is gone): the request itself still carries the id.
            record.request_id = _request_id.get() or getattr(request, "request_id", None)
        if isinstance(request, HttpRequest) and isinstance(record.args, tuple):
            record.args = tuple(
                loggable_path(request) if arg == request.path else arg for arg in record.args
            )
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id and the extras.

    Left out: the request object Django's request logger attaches (its text holds the query
    string) and the `data` Celery attaches to its task lines (the task's arguments).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601, UTC
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time", "data"])
        super().__init__(*args, **kwargs)


def loggable_path(request: HttpRequest) -> str:
    """The path without its query string, secret URL parts replaced by their name."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if SECRET_URL_PARTS.search(name) and isinstance(value, str) and value:
                path = path.replace(value, f"<{name}>")
    return path


def loggable_user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id if something in the request already loaded the user.

    Loading it here would cost a session read and a query on requests that never needed one
    (static files, /healthz).
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class RequestLogMiddleware:
    """First middleware: give the request its id and log one line when it has been answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(REQUEST_ID_META))
        request.request_id = request_id
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response.headers[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            path = loggable_path(request)
            request_logger.info(
                "%s %s %s %.1f ms",
                request.method,
                path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": loggable_user_id(request),
                },
            )
            return response
        finally:
            _request_id.reset(token)


# --- Background jobs (Celery signals, connected by CoreConfig.ready) --------------------------


def _job_published(headers: dict | None = None, **kwargs) -> None:
    """Send the current request id with the job (a header of the message)."""
    request_id = _request_id.get()
    if headers is not None and request_id:
        headers.setdefault(JOB_REQUEST_ID_HEADER, request_id)


def _job_started(task_id: str, task, **kwargs) -> None:
    request = task.request
    sent_id = getattr(request, JOB_REQUEST_ID_HEADER, None) or (
        (request.headers or {}).get(JOB_REQUEST_ID_HEADER)
        if isinstance(getattr(request, "headers", None), dict)
        else None
    )
    # Eager jobs run inside the request and keep its id; a worker takes the one sent along.
    request_id = request_id_from(sent_id or _request_id.get())
    request.log_context = (_request_id.set(request_id), time.perf_counter())


def _job_finished(task_id: str, task, state: str | None = None, **kwargs) -> None:
    context = getattr(task.request, "log_context", None)
    if context is None:
        return
    token, started = context
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    try:
        job_logger.info(
            "job %s %s %.1f ms",
            task.name,
            state,
            duration_ms,
            extra={
                "task": task.name,
                "task_id": task_id,
                "state": state,
                "duration_ms": duration_ms,
            },
        )
    finally:
        task.request.log_context = None
        try:
            _request_id.reset(token)
        except ValueError:  # finished in another context than it started: just clear it
            _request_id.set(None)


def job_logging_connect() -> None:
    """Log one line per job run (worker or eager) and carry request ids to the jobs."""
    from celery import signals

    signals.before_task_publish.connect(_job_published, dispatch_uid="core.logging.published")
    signals.task_prerun.connect(_job_started, dispatch_uid="core.logging.started")
    signals.task_postrun.connect(_job_finished, dispatch_uid="core.logging.finished")
