"""API throttles: DRF's, with rates read from the settings at each request (DRF binds them at
import, which `override_settings` cannot reach) and a scope for creating bookings."""

from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class _RatesFromSettings:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    """Anonymous clients, per address."""


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Signed-in users, per account."""


class BookingCreateRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Booking requests (POST only), per account: each one holds a slot and sends e-mails."""

    scope = "booking_create"

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class SeasonPlanRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Runs of a season's optimiser (POST only), per account: each may take up to a minute of
    a worker (seasons.services.plan_run)."""

    scope = "season_plan"

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
