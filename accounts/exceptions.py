"""Domain errors of accounts that other apps raise too."""

from django.core.exceptions import PermissionDenied


class DecisionNotAllowed(PermissionDenied):
    """The actor sees the object but may not take this decision on it: a 403 with `message`
    (not the 404 an outsider gets, since the actor knows the object exists)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConflictOfInterest(DecisionNotAllowed):
    """The actor belongs to the organisation the decision concerns."""
