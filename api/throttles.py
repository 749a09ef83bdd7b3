"""API throttles: the platform's fixed-window counters (core.ratelimit), under DRF's scopes.

DRF's own throttles keep, per client, the list of its request times for the whole period and
read and rewrite that list in the cache at every request: at a rate of 600 a minute the list
holds up to 600 timestamps, pickled both ways, and its cost grows with the rate (at the load
benchmark's raised rates, ~7,000 timestamps and 0.5 ms of CPU per throttle and request). Their
anonymous key also takes the whole X-Forwarded-For header when NUM_PROXIES is unset, which a
client writes itself. These count in one cache counter per client and window instead (one Redis
round trip, whatever the rate: core.cache), keyed by the trusted client address
(core.ratelimit.client_ip), as the public forms' limits already are. The rates are read from the
settings at each request (DRF binds them at import, which `override_settings` cannot reach).

A fixed window lets a client send up to twice its rate across a window's end; the rates are
set with that in mind (docs/decisions.md, "Issue 18 — the creation's last third").
"""

from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.ratelimit import client_ip, rate_hit, rate_ident, rate_parse

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class WindowRateThrottle(throttling.BaseThrottle):
    """`rate()` requests per window for each client `ident()` gives (None: not counted). The
    counters are named after the scope, in the same space as RATE_LIMITS' (a scope of both
    shares one budget: the invitations)."""

    scope: str
    # Only these methods count (None: all of them).
    methods: tuple[str, ...] | None = None

    def rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def ident(self, request: Request) -> str | None:
        """Signed-in users by account, others by address."""
        return rate_ident(request)

    def allow_request(self, request: Request, view: "APIView") -> bool:
        self.retry_after = 0
        if self.methods is not None and request.method not in self.methods:
            return True
        rate = self.rate()
        ident = self.ident(request) if rate else None
        if ident is None:
            return True
        self.retry_after = rate_hit(scope=self.scope, ident=ident, rate=rate_parse(rate))
        return not self.retry_after

    def wait(self) -> float | None:
        return self.retry_after or None


class AnonRateThrottle(WindowRateThrottle):
    """Anonymous clients, per address."""

    scope = "anon"

    def ident(self, request: Request) -> str | None:
        return None if request.user.is_authenticated else client_ip(request)


class UserRateThrottle(WindowRateThrottle):
    """Signed-in users, per account (anonymous clients, per address)."""

    scope = "user"


class BookingCreateRateThrottle(WindowRateThrottle):
    """Booking requests (POST only), per account: each one holds a slot and sends e-mails."""

    scope = "booking_create"
    methods = ("POST",)


class SeasonPlanRateThrottle(WindowRateThrottle):
    """Runs of a season's optimiser (POST only), per account: each may take up to a minute of
    a worker (seasons.services.plan_run)."""

    scope = "season_plan"
    methods = ("POST",)
