"""Map domain errors to HTTP: a ValidationError from a service is a 400 naming the field, a
clash is a 409 listing the clashing periods, a refused status change is a 409 too, a refused
card is a 402."""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.exceptions import DecisionNotAllowed
from bookings.exceptions import BookingConflict, InvalidTransition
from payments.exceptions import PaymentFailed, PaymentServiceUnavailable


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        # A model's own check (`full_clean`: a constraint over several fields) names no field:
        # Django files it under "__all__", the API under "non_field_errors" (docs/api.md).
        if NON_FIELD_ERRORS in detail:
            detail["non_field_errors"] = detail.pop(NON_FIELD_ERRORS)
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, BookingConflict):
        conflicts = [
            {
                "requested_start": requested.start,
                "requested_end": requested.end,
                "start": occupied.start,
                "end": occupied.end,
            }
            for requested, occupied in exc.clashes
        ]
        # Several rooms at once (issue 16): each clash names its room and says why.
        for conflict, space, reason in zip(conflicts, exc.spaces, exc.reasons, strict=False):
            conflict["space"] = space
            conflict["reason"] = str(reason)
        return Response(
            {"detail": str(exc.message), "conflicts": conflicts}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, InvalidTransition):
        return Response(
            {"detail": exc.message(), "status": exc.from_status},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, PaymentServiceUnavailable):
        # 503, not 402: the card was not refused; the payment service is out of reach (or
        # misconfigured) and the same request may be made again later.
        return Response(
            {"detail": exc.message, "code": exc.code},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "60"},
        )
    if isinstance(exc, PaymentFailed):
        # 402: the card or the payment service refused; the message is safe for the payer.
        return Response(
            {"detail": exc.message, "code": exc.code}, status=status.HTTP_402_PAYMENT_REQUIRED
        )
    if isinstance(exc, DecisionNotAllowed):
        # The actor sees the object (or it would be a 404): say why this decision is not theirs.
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, PermissionDenied | Http404):
        # Outsiders learn nothing: what they may not see does not exist for them.
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
