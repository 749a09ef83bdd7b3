"""Login lockout: django-axes with its counters in the shared cache, made race-free.

Axes' cache handler checks "locked?" before the password is checked and counts the failure
after: 20 simultaneous wrong logins all read "not locked" and all get their password checked.
This handler counts each attempt *before* the password is checked (`cache.add`/`cache.incr`,
atomic on Redis and in local memory) and refuses the attempts numbered past the limit, so at
most `AXES_FAILURE_LIMIT` passwords are ever tried per account and per address in a cool-off
period, however many arrive at once. A successful login resets the counters (as axes does).

The security log names the account by a pseudonym (`account_ref`), not by its e-mail address:
lines about one account can be matched, and an operator who knows an address can compute its
reference, but the logs (copied to collectors, kept for months) hold no address.
"""

import logging

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import (
    get_cache,
    get_cache_timeout,
    get_client_cache_keys,
    get_client_username,
    get_cool_off,
    get_failure_limit,
)
from axes.signals import user_locked_out
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from core.http import too_many_requests
from core.ratelimit import cache_count

logger = logging.getLogger("accounts.security")


def account_ref(username: str | None) -> str:
    """The log's pseudonym of the e-mail tried at login (16 hex digits, keyed by SECRET_KEY).

    `manage.py shell -c "from accounts.lockout import account_ref; print(account_ref('…'))"`
    gives the reference of an address, to find its lines.
    """
    if not username:
        return "-"
    return salted_hmac("accounts.security.account", username.strip().lower()).hexdigest()[:16]


class ReservingCacheHandler(AxesCacheHandler):
    """AXES_HANDLER: an attempt is counted when it starts, not when it has failed."""

    def __init__(self) -> None:
        # Axes builds its handler once per process and binds the cache there: the handler kept
        # counting in whatever cache existed first (another thread's, or the one before a
        # settings change, so a test "in Redis" counted in local memory). Read it each time.
        pass

    @property
    def cache(self):
        return get_cache()

    def is_allowed(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if not super().is_allowed(request, credentials):
            return False
        attempt = self._reserve(request, credentials)
        request.axes_attempt_reserved = True
        return attempt <= get_failure_limit(request, credentials)

    def _reserve(self, request: HttpRequest, credentials: dict | None) -> int:
        """Count one attempt on every key (account, address); return the highest count."""
        timeout = get_cache_timeout(request)
        counts = []
        for key in get_client_cache_keys(request, credentials):
            count = cache_count(self.cache, key, timeout=timeout)
            if count > 1:  # the cool-off runs from the last attempt
                self.cache.touch(key, timeout=timeout)
            counts.append(count)
        return max(counts, default=0)

    def user_login_failed(
        self, sender, credentials: dict, request: HttpRequest | None = None, **kwargs
    ) -> None:
        if request is None or not getattr(request, "axes_attempt_reserved", False):
            # Not through our is_allowed (no request): let axes count it the usual way.
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        username = get_client_username(request, credentials)
        account = account_ref(username)
        address = request.axes_ip_address
        limit = get_failure_limit(request, credentials)
        if request.axes_locked_out:
            logger.warning(
                "Login refused without checking the password (locked out): account %s from %s",
                account,
                address,
            )
        else:
            failures = self.get_failures(request, credentials)
            request.axes_failures_since_start = failures
            logger.warning(
                "Failed login: account %s from %s (%d of %d before lockout)",
                account,
                address,
                failures,
                limit,
            )
            if failures < limit:
                return
            logger.warning("Login locked out: account %s from %s", account, address)
            request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send("axes", request=request, username=username, ip_address=address)


def login_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the e-mail tried, lower-cased, so that "Alice@x.fr" and
    "alice@x.fr" share one counter (the login form posts it as `username`)."""
    source = credentials or getattr(request, "POST", {})
    username = source.get("username") or source.get("email")
    return username.strip().lower() if isinstance(username, str) else None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After (the whole cool-off, an upper bound)."""
    cool_off = get_cool_off(request)
    return too_many_requests(request, retry_after=int(cool_off.total_seconds()))
