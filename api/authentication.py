"""Bearer tokens for integrators' programs, next to the browser's session (issue 14).

`Authorization: Bearer lc_…` authenticates as the token's user, with the token as
`request.auth` and on the user (`user.api_token`, read by accounts.selectors to narrow an
organisation-scoped token to its organisation). A request with a token needs no CSRF token:
SessionAuthentication, which enforces CSRF, is not reached. A read-only token is refused
unsafe methods (403).

401 or 403: DRF answers 401 (with `WWW-Authenticate`) only when the first authentication class
gives a challenge. This class comes first and gives one only to a request that sent a bearer
token, so a bad token is a 401 `WWW-Authenticate: Bearer`, while a request with no credentials
still gets the 403 it always did (docs/api.md).

Bad tokens are counted per client address (RATE_LIMITS["api_token_invalid"]): past the limit,
the answer is 429 with Retry-After until the window ends. DRF's throttles cannot do it: they run
after authentication, which a bad token stops. A good token is never counted nor held back.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.services.tokens import api_token_authenticate
from core.ratelimit import client_ip, rate_hit, rate_parse

KEYWORD = "bearer"


def _bearer(request: Request) -> str | None:
    """The credentials of an `Authorization: Bearer …` header, None if there is no such header."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, credentials = header.partition(" ")
    if scheme.lower() != KEYWORD:
        return None
    return credentials.strip()


def _refuse(request: Request, message: str) -> exceptions.APIException:
    """401 with `message`, or 429 once the client's address has sent too many bad tokens."""
    wait = rate_hit(
        scope="api_token_invalid",
        ident=client_ip(request),
        rate=rate_parse(settings.RATE_LIMITS["api_token_invalid"]),
    )
    if wait:
        return exceptions.Throttled(wait=wait)
    return exceptions.AuthenticationFailed(message)


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request):
        raw = _bearer(request)
        if raw is None:
            return None  # no token: the session decides
        if not raw or " " in raw:
            raise _refuse(request, _("Malformed Authorization header: expected “Bearer <token>”."))
        found = api_token_authenticate(raw=raw)
        if found is None:
            raise _refuse(request, _("This API token is not valid: unknown, expired or revoked."))
        user, identity = found
        if identity.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                _("This API token is read-only: it may not change anything.")
            )
        user.api_token = identity
        return user, identity

    def authenticate_header(self, request: Request) -> str | None:
        return 'Bearer realm="api"' if _bearer(request) is not None else None


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token created on the profile page (“API tokens”): "
                "`Authorization: Bearer lc_…`. No CSRF token is needed with it."
            ),
        }
