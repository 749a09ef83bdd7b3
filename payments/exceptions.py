"""Domain errors of payments; api/exceptions.py maps PaymentFailed to 402 and
PaymentServiceUnavailable to 503."""


class PaymentFailed(Exception):
    """Stripe refused or could not be reached; `message` is safe to show to the user."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PaymentServiceUnavailable(PaymentFailed):
    """Stripe could not be reached, was overloaded or failed, or refused our keys (503).

    Nothing was decided about the card: the attempt is left as it was, and trying it again
    reuses its idempotency key, so a request that did reach Stripe is never charged twice.
    """


class InvalidWebhook(Exception):
    """A webhook whose signature, timestamp or body cannot be trusted (400)."""
