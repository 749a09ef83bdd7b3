"""The signature of a delivery (docs/api.md, "Webhooks"): HMAC-SHA256 with the endpoint's secret
over "<timestamp>.<body>", sent as `X-LocauxCommuns-Signature: t=<timestamp>,v1=<hex>`."""

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-LocauxCommuns-Signature"
EVENT_ID_HEADER = "X-LocauxCommuns-Event-Id"
EVENT_TYPE_HEADER = "X-LocauxCommuns-Event"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def secret_generate() -> str:
    """A new signing secret: 32 random bytes, URL-safe, with a recognisable prefix."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
