"""The one mechanism behind every status change (bookings, agreements, calls, applications,
payments): lock the row, do nothing if it is already there, refuse what the model's
TRANSITIONS table does not allow, then save. Each caller adds its own log row and side effects.
"""

from collections.abc import Callable, Mapping

from django.db import connection, models


def require_atomic() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("Must run inside transaction.atomic()")


def status_change(
    instance: models.Model,
    *,
    to: str,
    transitions: Mapping[str, frozenset[str]],
    error: Callable[[str, str], Exception] | None,
    check: Callable[[], None] | None = None,
    **fields: object,
) -> str | None:
    """Move `instance` to status `to`; return the previous status, or None if nothing changed.

    Must run inside transaction.atomic(): the row is re-read with select_for_update(), so two
    requests at once see one change. Already at `to` → None (a retry or a duplicate). A change
    the table does not allow raises `error(from, to)`, or returns None when `error` is None
    (late events replaying an older state). `check` runs once the change is known to be
    allowed, before anything is written; `fields` are saved with the status.
    """
    require_atomic()
    model = type(instance)
    locked = model.objects.select_for_update().get(pk=instance.pk)
    if locked.status == to:
        return None
    if to not in transitions.get(locked.status, frozenset()):
        if error is None:
            return None
        raise error(locked.status, to)
    if check is not None:
        check()
    previous = locked.status
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    auto_now = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    locked.save(update_fields=["status", *fields, *auto_now])
    instance.status = to
    return previous
