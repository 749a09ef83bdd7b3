"""The OpenAPI schema tells the truth: every error an operation can answer is documented, once.

The bodies are those of `api/exceptions.py` and `core/http.py`:

- 400 `ValidationError`: the fields in error, each with its messages (`non_field_errors` for the
  request as a whole; a nested object or list for a nested field); `detail` alone when the body
  cannot be read at all (malformed JSON, too deep).
- 401, 403, 404, 413, 415, 429 `Error`: `{"detail": "…"}`; 429 also carries `Retry-After` (seconds).
- 409 `BookingConflict` (the clashing periods) or `TransitionRefused` (the current status), and
  402 `PaymentError` (a refused card): declared by the operations that can answer them, from the
  responses below; those that declare a 402 also answer 503 `PaymentError` with `Retry-After`
  when Stripe is out of reach.

`ApiAutoSchema` adds the errors every operation shares, from what the view is (one place):
400 when it reads a body or query parameters, 401 when it accepts a bearer token (a bad
one), 403 when it needs a signed-in user or is unsafe
(CSRF), 404 when its path names an object, its answer is a page or it writes (a service refuses
what the actor may not touch as if it did not exist), or when the view says so
(`answers_not_found`: what only some users may read at all), 413 and 415 when it reads a body,
429 always. An operation's own declaration of a status wins.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from api.authentication import BearerTokenAuthentication

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PAGINATION_PARAMETERS = {"page", "page_size"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error, explained for the user (in the request's language).",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "The fields in error, each with its messages (`non_field_errors`: the request as a "
        "whole; an object or a list for a nested field), or `detail` alone when the body cannot "
        "be read."
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
    "example": {"end": ["The end must be after the start."]},
}


RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}


def _error_response(description: str, *, headers: dict | None = None) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if headers:
        response["headers"] = headers
    return response


# (status, component name, response object), in the order they appear in the schema.
SHARED_RESPONSES = {
    "400": (
        "ValidationError",
        {
            "description": "The request is not valid: the fields in error and why.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}
            },
        },
    ),
    "401": (
        "Unauthorized",
        _error_response(
            "The bearer token is malformed, unknown, expired or revoked (only a request that "
            "sent `Authorization: Bearer …`).",
            headers={
                "WWW-Authenticate": {
                    "description": 'The challenge: `Bearer realm="api"`.',
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        ),
    ),
    "403": (
        "Forbidden",
        _error_response(
            "Not signed in, the CSRF token is missing (unsafe methods with the session), or "
            "the API token is read-only (unsafe methods)."
        ),
    ),
    "404": (
        "NotFound",
        _error_response(
            "No such object for this user (what one may not see does not exist for them), "
            "or no such page."
        ),
    ),
    "413": ("PayloadTooLarge", _error_response("The body is too large; it was not read.")),
    "415": (
        "UnsupportedMediaType",
        _error_response("The body is not JSON, a form or multipart form data."),
    ),
    "503": (
        "PaymentServiceUnavailable",
        {
            "description": "The payment service is out of reach: nothing was charged, try again.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PaymentError"}}
            },
            "headers": {"Retry-After": RETRY_AFTER},
        },
    ),
    "429": (
        "Throttled",
        _error_response(
            "Too many requests: try again later.",
            headers={"Retry-After": RETRY_AFTER},
        ),
    ),
}


class ApiAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for component, schema in (
            ("Error", ERROR_SCHEMA),
            ("ValidationError", VALIDATION_ERROR_SCHEMA),
        ):
            registry.register_on_missing(
                ResolvedComponent(
                    component, ResolvedComponent.SCHEMA, schema=schema, object=component
                )
            )
        responses = operation["responses"]
        for status in self._shared_error_statuses(operation):
            name, response = SHARED_RESPONSES[status]
            registry.register_on_missing(
                ResolvedComponent(name, ResolvedComponent.RESPONSE, schema=response, object=name)
            )
            responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _shared_error_statuses(self, operation: dict) -> list[str]:
        unsafe = self.method not in SAFE_METHODS
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        statuses = []
        if unsafe or query - PAGINATION_PARAMETERS:
            statuses.append("400")
        if any(
            isinstance(authenticator, BearerTokenAuthentication)
            for authenticator in self.view.get_authenticators()
        ):
            statuses.append("401")
        if unsafe or any(
            not isinstance(permission, AllowAny) for permission in self.view.get_permissions()
        ):
            statuses.append("403")
        if (
            unsafe
            or query & PAGINATION_PARAMETERS
            or any(p["in"] == "path" for p in parameters)
            or getattr(self.view, "answers_not_found", False)
        ):
            statuses.append("404")
        if unsafe:
            statuses += ["413", "415"]
        statuses.append("429")
        if "402" in operation["responses"]:  # it reaches Stripe, which may be out of reach
            statuses.append("503")
        return statuses


# --- Errors that only some operations answer: they declare them in their `responses`. --------

BookingConflictSerializer = inline_serializer(
    name="BookingConflict",
    fields={
        "detail": serializers.CharField(),
        "conflicts": inline_serializer(
            name="ClashingPeriod",
            many=True,
            fields={
                "requested_start": serializers.DateTimeField(),
                "requested_end": serializers.DateTimeField(),
                "start": serializers.DateTimeField(),
                "end": serializers.DateTimeField(),
                "space": serializers.IntegerField(
                    required=False, help_text="A request for several rooms: the room that clashes."
                ),
                "reason": serializers.CharField(
                    required=False, help_text="A request for several rooms: why, in words."
                ),
            },
        ),
    },
)
TransitionRefusedSerializer = inline_serializer(
    name="TransitionRefused",
    fields={
        "detail": serializers.CharField(),
        "status": serializers.CharField(help_text="The current status, which forbids the change."),
    },
)
PaymentErrorSerializer = inline_serializer(
    name="PaymentError",
    fields={
        "detail": serializers.CharField(help_text="Why, for the payer."),
        "code": serializers.CharField(help_text="Stripe's code, or empty."),
    },
)

CONFLICT = OpenApiResponse(
    BookingConflictSerializer, description="The periods clash with the space's occupancy."
)
TRANSITION_REFUSED = OpenApiResponse(
    TransitionRefusedSerializer, description="The current status does not allow this change."
)
CONFLICT_OR_TRANSITION_REFUSED = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="ConflictOrTransitionRefused",
        serializers=[BookingConflictSerializer, TransitionRefusedSerializer],
        resource_type_field_name=None,
    ),
    description="The periods clash with the space's occupancy, or the status forbids it.",
)
PAYMENT_REFUSED = OpenApiResponse(
    PaymentErrorSerializer, description="The card was refused (a message for the payer)."
)
