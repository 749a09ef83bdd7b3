"""The queue kernel: rows a worker claims, attempts, and marks; retried with backoff; taken again
when their worker died. Its rows are `core.models.QueuedRow`s; its queues are the mail outbox
(`core/mail.py`, SMTP) and the webhook deliveries (`integrations/services/deliveries.py`, a
signed POST, pausing an endpoint). What leaves, and how, is theirs; this module is the rest.

- due: pending with `next_attempt_at` come, or sending with a claim older than the queue's
  `claim_timeout` (its worker died: killed, machine lost).
- claim: one conditional UPDATE, pending or stale → sending with a fresh `claim_token`,
  `claimed_at` = now, `attempts` + 1. PostgreSQL re-checks the condition on the row it waited
  for, so of two claims one updates the row and the other nothing; SQLite serialises writers.
  The attempt counts from the claim, so a row whose sending kills its worker still fails.
- mark: done or failed attempt, only where the claim token is still the caller's.
- failed attempt: pending again at now + `retry_delays[attempts − 1]`, or failed after the
  last (one attempt more than delays); the error on one line, cut to the column's length.
- sweep: the due rows' ids, oldest attempt time first, a batch at a time (indexes:
  `core.models.queue_indexes`).

Delivery is therefore at least once: a worker that dies after the receiver accepted a row and
before the mark leaves a claim that the sweep takes again.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet

from core.models import QueueStatus

LAST_ERROR_MAX_LENGTH = 300  # QueuedRow.last_error's max_length


@dataclass(frozen=True)
class QueuePolicy:
    """How a queue retries, from its settings (read at each run: tests and operators change
    them). `claim_timeout`: seconds after which a claim is stale. `retry_delays`: the seconds
    to wait after the 1st, 2nd… failed attempt; the attempt after the last delay is the last."""

    claim_timeout: int
    retry_delays: tuple[int, ...]

    @property
    def max_attempts(self) -> int:
        return len(self.retry_delays) + 1

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after attempt number `attempts` failed at `now`; None when it
        was the last."""
        if attempts > len(self.retry_delays):
            return None
        return now + timedelta(seconds=self.retry_delays[max(attempts, 1) - 1])


def queue_due(policy: QueuePolicy, now: datetime) -> Q:
    """The rows a worker may take at `now`: pending and due, or claimed by a worker that died."""
    stale = now - timedelta(seconds=policy.claim_timeout)
    return Q(status=QueueStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=QueueStatus.SENDING, claimed_at__lt=stale
    )


def queue_claim(
    rows: QuerySet, pk: int, *, policy: QueuePolicy, now: datetime, **also
) -> uuid.UUID | None:
    """Take row `pk` of `rows` for an attempt, counting it (and setting the fields `also`);
    the new claim token, or None if it is not due or another worker has it.

    `rows` may narrow the queue (a paused endpoint's deliveries are not taken) on the row's own
    columns or through a subquery (`endpoint__in=…`), never through a join: Django makes an
    UPDATE over a join `pk IN (SELECT …)`, whose condition PostgreSQL does not re-check on the
    row it waited for, and both claims would win.
    """
    query = rows.filter(queue_due(policy, now), pk=pk)
    if query.query.count_active_tables() > 1:
        raise ValueError("A queue's claim must not join another table (see queue_claim).")
    token = uuid.uuid4()
    taken = query.update(
        status=QueueStatus.SENDING,
        claim_token=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        **also,
    )
    return token if taken == 1 else None


def queue_error_text(
    error: BaseException | str, *, mask: Callable[[str], str] | None = None
) -> str:
    """`error` for a row's `last_error` and the log: its class and message (or the text), on
    one line, `mask`ed (e.g. addresses), cut to LAST_ERROR_MAX_LENGTH characters."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    if mask is not None:
        text = mask(text)
    return text[:LAST_ERROR_MAX_LENGTH]


def queue_mark_done(rows: QuerySet, pk: int, token: uuid.UUID, *, status: str, **also) -> bool:
    """Mark row `pk` left (`status`: sent, delivered), with the fields `also`, if the claim
    `token` is still its own; False if the claim went stale and was retaken meanwhile."""
    return bool(
        rows.filter(pk=pk, claim_token=token).update(
            status=status, last_error="", claim_token=None, **also
        )
    )


def queue_mark_failed_attempt(
    rows: QuerySet,
    pk: int,
    token: uuid.UUID,
    *,
    attempts: int,
    error: BaseException | str,
    policy: QueuePolicy,
    now: datetime,
    **also,
) -> bool:
    """Record that attempt number `attempts` of row `pk` (claimed with `token`) failed with
    `error`: pending again at its next attempt time, or failed after the last attempt (then
    `next_attempt_at` is None, or `now` where the column takes no None). `attempts` is written
    too (a retaken claim's count may be corrected), and the fields `also`. Returns whether the
    row failed for good."""
    retry_at = policy.retry_at(attempts, now)
    final = retry_at is None
    if final and not rows.model._meta.get_field("next_attempt_at").null:
        retry_at = now
    rows.filter(pk=pk, claim_token=token).update(
        status=QueueStatus.FAILED if final else QueueStatus.PENDING,
        attempts=attempts,
        next_attempt_at=retry_at,
        last_error=queue_error_text(error),
        claim_token=None,
        claimed_at=None,
        **also,
    )
    return final


def queue_sweep(rows: QuerySet, *, policy: QueuePolicy, now: datetime, batch: int) -> list[int]:
    """The ids of `batch` due rows of `rows` at most, the longest waiting first; each is then
    claimed (`queue_claim`), so several sweeps at once never attempt a row twice."""
    return list(
        rows.filter(queue_due(policy, now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
