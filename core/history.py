"""Field-level history of the records whose edits must stay traceable (django-simple-history).

Who made a change: the actor a service names (`history_actor`), else the signed-in user of the
web, API or admin request (simple-history's middleware), else nobody, shown as "the platform"
(management commands, scheduled jobs). Status changes and decisions with reasons are not here:
they have their own domain logs (BookingLog, CallLog…), written by the services.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from simple_history.models import HistoricalRecords

_actor: ContextVar[Any] = ContextVar("history_actor", default=None)


@contextmanager
def history_actor(actor: Any) -> Iterator[None]:
    """Record `actor` as the author of every history row written inside the block.

    Services call it with their `actor`, so a change made outside a web request (a job, a
    command, a test calling the service) is still signed; None leaves the request's user.
    """
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def _history_user(instance: Any, request: Any = None, **kwargs: Any) -> Any:
    actor = _actor.get()
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def history(*, excluded_fields: list[str] | None = None) -> HistoricalRecords:
    """The history of a model, signed as above. Secrets belong in `excluded_fields`."""
    return HistoricalRecords(get_user=_history_user, excluded_fields=excluded_fields or [])
