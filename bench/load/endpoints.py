"""What is measured: each endpoint's request (path, user, body) and its target (issue 18), and
what is measured in-process with Django's test client (queries per request, the profile)."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from bench.load.data import (
    CREATE_MEMBER,
    CREATE_PURPOSE,
    LIST_MEMBER,
    MANAGER,
    Slots,
    bare_slots,
    project_slots,
)
from bench.load.wrk import Request

# Kinds and their targets (issue 18).
LIST, AVAILABILITY, CREATE, PAGE, BARE_LIST, BARE_CREATE = (
    "list",
    "availability",
    "create",
    "page",
    "bare list",
    "bare create",
)
TARGETS = {
    LIST: "≥ 70 % of bare list, p95 ≤ 50 ms",
    AVAILABILITY: "p95 ≤ 50 ms",
    CREATE: "≥ 30 % of bare create, p95 ≤ 60 ms, ≤ 12 queries",
    PAGE: "≥ 50 req/s, p95 ≤ 100 ms",
}


@dataclass
class Endpoint:
    name: str  # also the profile's file name: docs/profiles/load-<name>.txt
    label: str
    kind: str
    path: str
    user: str | None = None
    slots: Slots | None = None
    template: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def bare(self) -> bool:
        return self.kind in (BARE_LIST, BARE_CREATE)

    @property
    def expected(self) -> int:
        return 201 if self.slots is not None else 200


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The names `--list` prints and `--only` takes, in the order of a run (checked against the
# endpoints built from the database at each run).
NAMES = (
    "bare-list",
    "bare-create",
    "api-spaces",
    "api-bookings",
    "api-availability",
    "api-bookings-create",
    "page-catalogue",
    "page-space-week",
    "page-pending",
    "page-my-bookings",
)


def endpoints() -> list[Endpoint]:
    """The project's endpoints, found in the loaded database (Django is set up)."""
    from accounts.models import User
    from bookings.models import Booking
    from bookings.rules import make_local
    from bookings.selectors import local_zone

    member = User.objects.get(email=LIST_MEMBER)
    series = Booking.objects.filter(organisation__memberships__user=member, event__isnull=False)
    first = series.order_by("start").first()
    # A Tuesday 14:00–16:00 two weeks into the loaded series (most spaces free).
    monday = first.start.astimezone(local_zone()).date()
    monday -= timedelta(days=monday.weekday() - 14)
    start = make_local(datetime.combine(monday + timedelta(days=1), time(14)), local_zone())
    creator = User.objects.get(email=CREATE_MEMBER)
    organisation = creator.memberships.get().organisation
    body = {
        "space": 0,
        "organisation": organisation.pk,
        "purpose": CREATE_PURPOSE,
        "attendees": 5,
        "start": "S",
        "end": "E",
    }
    template = json.dumps(body).replace("0", "%d", 1).replace('"S"', '"%s"').replace('"E"', '"%s"')
    return [
        Endpoint("api-spaces", "`GET /api/v1/spaces/` (anonymous)", LIST, "/api/v1/spaces/"),
        Endpoint(
            "api-bookings",
            "`GET /api/v1/bookings/` (member, 123 bookings)",
            LIST,
            "/api/v1/bookings/",
            user=LIST_MEMBER,
        ),
        Endpoint(
            "api-availability",
            "`GET /api/v1/availability/` (2-hour slot)",
            AVAILABILITY,
            f"/api/v1/availability/?start={_utc(start)}&end={_utc(start + timedelta(hours=2))}",
        ),
        Endpoint(
            "api-bookings-create",
            "`POST /api/v1/bookings/` (distinct slots)",
            CREATE,
            "/api/v1/bookings/",
            user=CREATE_MEMBER,
            slots=project_slots(),
            template=template,
        ),
        Endpoint("page-catalogue", "`/espaces/` (anonymous)", PAGE, "/espaces/"),
        Endpoint(
            "page-space-week",
            "`/reservations/espaces/<pk>/semaine/` (member)",
            PAGE,
            f"/reservations/espaces/{first.space_id}/semaine/?semaine={monday.isoformat()}",
            user=LIST_MEMBER,
        ),
        Endpoint(
            "page-pending",
            "`/reservations/a-traiter/` (facilities manager)",
            PAGE,
            "/reservations/a-traiter/",
            user=MANAGER,
        ),
        Endpoint(
            "page-my-bookings",
            "`/reservations/` (member)",
            PAGE,
            "/reservations/",
            user=LIST_MEMBER,
        ),
    ]


def bare_endpoints() -> tuple[Endpoint, Endpoint]:
    template = '{"room": %d, "title": "' + CREATE_PURPOSE + '", "start": "%s", "end": "%s"}'
    return (
        Endpoint("bare-list", "bare DRF list", BARE_LIST, "/reservations/"),
        Endpoint(
            "bare-create",
            "bare DRF create",
            BARE_CREATE,
            "/reservations/",
            slots=bare_slots(),
            template=template,
        ),
    )


# --- Sessions for wrk -----------------------------------------------------------------------


def session_headers(email: str | None, *, post: bool) -> dict[str, str]:
    """A session created in the database (as a login would) and a CSRF token, as headers."""
    if email is None and not post:
        return {}
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from accounts.models import User

    headers = {}
    cookies = []
    if email is not None:
        client = Client()
        client.force_login(User.objects.get(email=email))
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    if post:
        token = _get_new_csrf_string()
        cookies.append(f"{settings.CSRF_COOKIE_NAME}={token}")
        header = settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-")
        headers[header] = token
        headers["Content-Type"] = "application/json"
    headers["Cookie"] = "; ".join(cookies)
    return headers


def wrk_request(endpoint: Endpoint) -> Request:
    if endpoint.bare:
        headers = {"Content-Type": "application/json"} if endpoint.slots else {}
    else:
        headers = session_headers(endpoint.user, post=endpoint.slots is not None)
    return Request(
        method="POST" if endpoint.slots else "GET",
        headers=headers,
        slots=endpoint.slots,
        template=endpoint.template,
    )


# --- In-process: queries per request, profile -----------------------------------------------


class InProcess:
    """Django's test client on the bench database; creations take the slots from `base` on
    (after those wrk took)."""

    def __init__(self, endpoint: Endpoint, base: int = 0):
        from django.test import Client

        from accounts.models import User

        self.endpoint = endpoint
        self.client = Client(HTTP_HOST="127.0.0.1")
        if endpoint.user:
            self.client.force_login(User.objects.get(email=endpoint.user))
        self.base = base

    def request(self):
        endpoint = self.endpoint
        if endpoint.slots is None:
            return self.client.get(endpoint.path)
        target, start = endpoint.slots.slot(self.base)
        self.base += 1
        body = endpoint.template % (
            target,
            _utc(datetime.fromtimestamp(start, UTC)),
            _utc(datetime.fromtimestamp(start + endpoint.slots.seconds, UTC)),
        )
        return self.client.post(endpoint.path, data=body, content_type="application/json")

    def queries(self) -> tuple[int, int]:
        """(queries, status) of a request, after one to warm the caches up: the most of ten
        for a creation (its rooms differ: some confirm at once, and a confirmed booking's
        payments listener reads it after commit), with the first unexpected status if any."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.request()
        most, status = 0, self.endpoint.expected
        for _ in range(1 if self.endpoint.slots is None else 10):
            with CaptureQueriesContext(connection) as captured:
                response = self.request()
            most = max(most, len(captured.captured_queries))
            if status == self.endpoint.expected:
                status = response.status_code
        return most, status

    def profile(self, runs: int, seconds: float) -> str:
        """cProfile of `runs` requests (fewer if they take more than `seconds`: a page of a
        second each would take minutes), the top 40 functions by cumulative time, as text."""
        for _ in range(5):
            self.request()
        profiler = cProfile.Profile()
        statuses: dict[int, int] = {}
        deadline = clock.monotonic() + seconds
        for _ in range(runs):
            if clock.monotonic() > deadline:
                break
            profiler.enable()
            response = self.request()
            profiler.disable()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        done = sum(statuses.values())
        return f"{done} requests in-process (Django's test client), statuses {statuses}\n" + (
            text.getvalue()
        )
