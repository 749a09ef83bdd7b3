"""The queue kernel (core/queue.py) on its two real queues, OutboxMail and WebhookDelivery:
an exclusive claim (two connections at once, one wins), the backoff sequence and the last
attempt, a stale claim taken again by the sweep, the error text on one line and cut short."""

import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.models import MailStatus, OutboxMail, QueueStatus
from core.queue import (
    LAST_ERROR_MAX_LENGTH,
    QueuePolicy,
    queue_claim,
    queue_error_text,
    queue_mark_done,
    queue_mark_failed_attempt,
    queue_sweep,
)
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import VerifiedStructureFactory

POLICY = QueuePolicy(claim_timeout=600, retry_delays=(60, 300, 1800))
WAIT = 30  # seconds: an upper bound on a busy machine, never a speed assertion


def _mail(**fields) -> OutboxMail:
    return OutboxMail.objects.create(
        subject="Objet",
        body="Corps",
        recipients=["a@example.test"],
        about="test",
        next_attempt_at=fields.pop("next_attempt_at", timezone.now()),
        **fields,
    )


def _delivery(**fields) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(
        organisation=VerifiedStructureFactory(),
        url="https://hooks.example.test/locaux",
        events=["booking.requested"],
        secret="secret",
    )
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event_type="booking.requested",
        payload={},
        next_attempt_at=fields.pop("next_attempt_at", timezone.now()),
        **fields,
    )


def _unpaused_deliveries() -> QuerySet[WebhookDelivery]:
    # As integrations/services/deliveries.py narrows its queue: through a subquery.
    return WebhookDelivery.objects.filter(
        endpoint__in=WebhookEndpoint.objects.filter(paused_at__isnull=True)
    )


QUEUES: dict[str, tuple[Callable, Callable[[], QuerySet]]] = {
    "outbox": (_mail, OutboxMail.objects.all),
    "webhook deliveries": (_delivery, _unpaused_deliveries),
}


def _waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


# Exclusive claim.


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.django_db(transaction=True)
def test_of_two_claims_of_one_row_at_once_only_one_wins(queue):
    make, rows = QUEUES[queue]
    row = make()
    first_claimed, first_may_commit = threading.Event(), threading.Event()
    tokens: dict[str, uuid.UUID | None] = {}
    second_pid: list[int] = []

    def first() -> None:
        try:
            # The claim's UPDATE holds the row until this transaction commits.
            with transaction.atomic():
                tokens["first"] = queue_claim(rows(), row.pk, policy=POLICY, now=timezone.now())
                first_claimed.set()
                first_may_commit.wait(WAIT)
        finally:
            first_claimed.set()
            connections.close_all()  # each thread owns its connection

    def second() -> None:
        try:
            first_claimed.wait(WAIT)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    second_pid.append(cursor.fetchone()[0])
            # Its statement started while the row was still pending in every snapshot: it waits
            # for the first's row lock (PostgreSQL) or the write lock (SQLite).
            tokens["second"] = queue_claim(rows(), row.pk, policy=POLICY, now=timezone.now())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        if connection.vendor == "postgresql":
            deadline = time.monotonic() + WAIT
            while not (second_pid and _waiting_for_a_lock(second_pid[0])):
                assert time.monotonic() < deadline, "the second claim never waited for the row"
                time.sleep(0.05)
        else:
            time.sleep(0.5)  # SQLite shows no waiter: give the second claim time to wait
    finally:
        first_may_commit.set()
        for thread in threads:
            thread.join(WAIT)

    row.refresh_from_db()
    assert tokens["first"] is not None
    assert tokens["second"] is None
    assert (row.status, row.attempts, row.claim_token) == (
        QueueStatus.SENDING,
        1,
        tokens["first"],
    )


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.django_db
def test_a_claimed_row_is_not_claimed_again_before_its_claim_is_stale(queue):
    make, rows = QUEUES[queue]
    row = make()
    now = timezone.now()

    first = queue_claim(rows(), row.pk, policy=POLICY, now=now)
    again = queue_claim(rows(), row.pk, policy=POLICY, now=now + timedelta(seconds=599))

    assert (first is not None, again) == (True, None)


@pytest.mark.django_db
def test_a_claim_through_a_join_is_refused():
    """Django makes an UPDATE over a join `pk IN (SELECT …)`, which PostgreSQL does not re-check
    on the row it waited for: both claims would win (the deliveries' claim did, before)."""
    row = _delivery()
    joined = WebhookDelivery.objects.filter(endpoint__paused_at__isnull=True)

    with pytest.raises(ValueError, match="must not join"):
        queue_claim(joined, row.pk, policy=POLICY, now=timezone.now())

    row.refresh_from_db()
    assert (row.status, row.attempts) == (QueueStatus.PENDING, 0)


@pytest.mark.django_db
def test_a_row_not_yet_due_or_of_a_paused_endpoint_is_not_claimed():
    later = _mail(next_attempt_at=timezone.now() + timedelta(minutes=5))
    paused = _delivery()
    WebhookEndpoint.objects.filter(pk=paused.endpoint_id).update(paused_at=timezone.now())

    assert (
        queue_claim(OutboxMail.objects.all(), later.pk, policy=POLICY, now=timezone.now()) is None
    )
    assert queue_claim(_unpaused_deliveries(), paused.pk, policy=POLICY, now=timezone.now()) is None


# Backoff.


def _fail_every_attempt(rows: QuerySet, pk: int) -> list[tuple[str, int | None]]:
    """Claim and fail row `pk` until it fails for good: (status, seconds to the next attempt)
    after each attempt."""
    seen = []
    now = timezone.now()
    while True:
        token = queue_claim(rows, pk, policy=POLICY, now=now)
        assert token is not None
        row = rows.model.objects.get(pk=pk)
        final = queue_mark_failed_attempt(
            rows, pk, token, attempts=row.attempts, error="refused", policy=POLICY, now=now
        )
        row.refresh_from_db()
        wait = row.next_attempt_at and round((row.next_attempt_at - now).total_seconds())
        seen.append((row.status, wait))
        if final:
            return seen
        now = row.next_attempt_at


@pytest.mark.django_db
def test_failed_attempts_wait_each_delay_in_turn_then_the_row_fails():
    mail, delivery = _mail(), _delivery()

    assert _fail_every_attempt(OutboxMail.objects.all(), mail.pk) == [
        (QueueStatus.PENDING, 60),
        (QueueStatus.PENDING, 300),
        (QueueStatus.PENDING, 1800),
        (QueueStatus.FAILED, 0),  # OutboxMail.next_attempt_at takes no None: the failure's time
    ]
    assert _fail_every_attempt(_unpaused_deliveries(), delivery.pk) == [
        (QueueStatus.PENDING, 60),
        (QueueStatus.PENDING, 300),
        (QueueStatus.PENDING, 1800),
        (QueueStatus.FAILED, None),  # no attempt planned
    ]
    mail.refresh_from_db()
    assert (mail.attempts, mail.claim_token, mail.claimed_at, mail.last_error) == (
        4,
        None,
        None,
        "refused",
    )


def test_the_policy_gives_one_attempt_more_than_delays():
    now = timezone.now()
    policy = QueuePolicy(claim_timeout=60, retry_delays=(10, 20))

    assert policy.max_attempts == 3
    assert [policy.retry_at(attempts, now) for attempts in (1, 2, 3, 4)] == [
        now + timedelta(seconds=10),
        now + timedelta(seconds=20),
        None,
        None,
    ]
    assert QueuePolicy(claim_timeout=60, retry_delays=()).retry_at(1, now) is None


# Stale claims.


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.django_db
def test_a_stale_claim_is_picked_by_the_sweep_and_its_old_token_marks_nothing(queue):
    make, rows = QUEUES[queue]
    row = make()
    claimed_at = timezone.now()
    dead_worker = queue_claim(rows(), row.pk, policy=POLICY, now=claimed_at)

    before = queue_sweep(rows(), policy=POLICY, now=claimed_at + timedelta(seconds=599), batch=10)
    after = queue_sweep(rows(), policy=POLICY, now=claimed_at + timedelta(seconds=601), batch=10)
    retaken = queue_claim(rows(), row.pk, policy=POLICY, now=claimed_at + timedelta(seconds=601))
    done_status = MailStatus.SENT if queue == "outbox" else DeliveryStatus.DELIVERED

    assert (before, after) == ([], [row.pk])
    assert retaken not in (None, dead_worker)
    assert not queue_mark_done(rows(), row.pk, dead_worker, status=done_status)
    assert queue_mark_done(rows(), row.pk, retaken, status=done_status)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claim_token) == (done_status, 2, None)


@pytest.mark.django_db
def test_the_sweep_takes_the_longest_waiting_first_and_a_batch_at_a_time():
    now = timezone.now()
    rows = [_mail(next_attempt_at=now - timedelta(minutes=minutes)) for minutes in (1, 3, 2)]
    _mail(next_attempt_at=now + timedelta(minutes=1))  # not yet due
    _mail(status=QueueStatus.FAILED)  # failed for good: never swept

    swept = queue_sweep(OutboxMail.objects.all(), policy=POLICY, now=now, batch=2)

    assert swept == [rows[1].pk, rows[2].pk]


# The error text.


def test_an_error_is_written_on_one_line_cut_to_the_columns_length():
    long = "Connection\nrefused\t\tby   the server " * 100

    text = queue_error_text(ConnectionRefusedError(long))

    assert text.startswith("ConnectionRefusedError: Connection refused by the server ")
    assert len(text) == LAST_ERROR_MAX_LENGTH
    assert "\n" not in text
    assert "  " not in text
    for model in (OutboxMail, WebhookDelivery):
        assert model._meta.get_field("last_error").max_length == LAST_ERROR_MAX_LENGTH


def test_an_errors_mask_applies_before_it_is_cut():
    text = queue_error_text(
        "x" * 295 + " camille.martin@example.test", mask=lambda text: text.replace("camille", "C")
    )

    assert text == "x" * 295 + " C.ma"


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.django_db
def test_a_failed_attempts_long_error_is_stored_cut(queue):
    make, rows = QUEUES[queue]
    row = make()
    token = queue_claim(rows(), row.pk, policy=POLICY, now=timezone.now())

    queue_mark_failed_attempt(
        rows(),
        row.pk,
        token,
        attempts=1,
        error=RuntimeError("é\n" * 1000),
        policy=POLICY,
        now=timezone.now(),
    )

    row.refresh_from_db()
    assert row.last_error == ("RuntimeError: " + "é " * 1000)[:LAST_ERROR_MAX_LENGTH]


# The queues.


def test_each_queue_has_the_kernels_states_and_the_sweeps_indexes():
    for model, choices in ((OutboxMail, MailStatus), (WebhookDelivery, DeliveryStatus)):
        assert {QueueStatus.PENDING, QueueStatus.SENDING, QueueStatus.FAILED} < set(choices.values)
        indexed = {tuple(index.fields) for index in model._meta.indexes}
        assert {("status", "next_attempt_at"), ("status", "claimed_at")} <= indexed
