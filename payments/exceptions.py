"""Domain errors of payments; api/exceptions.py may map PaymentFailed to 402."""


class PaymentFailed(Exception):
    """Stripe refused or could not be reached; `message` is safe to show to the user."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidWebhook(Exception):
    """A webhook whose signature, timestamp or body cannot be trusted (400)."""
