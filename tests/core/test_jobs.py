"""Background jobs on Celery: the beat schedule names the periodic tasks, each task does on a
real worker what its management command does, two runs at once have one effect, and without a
broker a task runs in-process.

The worker is a real `celery -A config worker` subprocess (tests/stack) on Redis database
REDIS_DBS["jobs"], against the test database (so the tests that use it commit:
`django_db(transaction=True)`), with Redis as its cache (the job locks of core.locks) and
localstripe as Stripe. It runs on the real clock: the rows are made due now.
"""

# The payments fixtures are imported from tests/payments/conftest.py; pytest injects them by
# parameter name, which ruff reads as a redefinition.
# ruff: noqa: F811

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.core.management import get_commands
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import DocumentKind, ReminderSent
from bookings.models import (
    AllocationStatus,
    Booking,
    BookingLog,
    BookingStatus,
    Occupancy,
)
from bookings.services import booking_approve
from bookings.tasks import expire_lapsed_bookings
from calls.models import CallStatus
from config.celery import app
from config.schedule import beat_schedule
from core.locks import SKIPPED, cache_lock, lock_key
from payments.models import (
    Invoice,
    Payment,
    PaymentChannel,
    PaymentPurpose,
    PaymentStatus,
)
from payments.selectors import collecting_organisation
from payments.services.cards import payment_pay, payment_start
from payments.services.deposits import deposit_open
from spaces.models import SpaceKind
from tests.factories import (
    CallFactory,
    MembershipFactory,
    OrganisationDocumentFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    booking_request_for,
)
from tests.payments.conftest import (  # noqa: F401 (fixtures)
    SECRET_KEY,
    association,
    collector,
    priced_space,
    requester,
    slot,
)
from tests.stack import (
    REDIS_DBS,
    REDIS_HOST,
    REDIS_PORT,
    celery_client,
    celery_worker,
    publishing_to,
    redis_flush,
    redis_url,
)

DB = REDIS_DBS["jobs"]
# Commands of the apps that are not periodic jobs: operators run them by hand.
# Commands run by hand, not on a schedule: the demo, the media's bucket, an inventory import,
# and the occupancy summary's repair (the Occupancy writer keeps it; a rebuild is for rows
# deleted by hand, docs/decisions.md "Issue 15 — Occupancy, third pass").
# season_plan (issue 17): a campaign's manager makes its plan when they choose, as themselves.
NOT_JOBS = {
    "seed_demo",
    "s3_media",
    "import_inventory",
    "occupancy_summary_rebuild",
    "season_plan",
}
# A bound on waiting for a worker's answer, not a measure of speed: a busy machine is slower.
RESULT_TIMEOUT = 120


def _scheduled() -> set[str]:
    return {entry["task"] for entry in beat_schedule().values()}


def _job_commands() -> set[str]:
    """The management commands of the project's apps (not Django's, nor a library's)."""
    ours = {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(settings.BASE_DIR)
        # The virtualenv may sit in the checkout (.venv): its libraries are not ours.
        and "site-packages" not in Path(config.path).parts
    }
    return {name for name, app_name in get_commands().items() if app_name in ours} - NOT_JOBS


# --- The schedule and the tasks ---


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()  # every app's tasks.py, as a worker does at start

    missing = _scheduled() - set(app.tasks)

    assert missing == set()


def test_every_job_command_is_scheduled_as_a_task_of_its_app_and_name():
    app.loader.import_default_modules()
    commands = get_commands()
    expected = {f"{commands[name]}.tasks.{name}" for name in _job_commands()}

    assert expected - _scheduled() == set()
    # Beside the jobs with a command, the kernel's heartbeat (beat → worker, for /healthz).
    assert _scheduled() - {"core.tasks.heartbeat"} == expected


def test_every_periodic_task_has_time_limits_and_retries_on_database_errors():
    app.loader.import_default_modules()

    for name in _scheduled() - {"core.tasks.heartbeat"}:
        task = app.tasks[name]
        assert 0 < task.soft_time_limit < task.time_limit, name
        assert OperationalError in task.autoretry_for, name


def test_a_task_runs_in_process_without_a_broker(db, space, requester_of_space):
    """The SQLite demo (`make run`) has no Redis: `.delay()` runs the job at once."""
    booking = _lapsed_request(space, requester_of_space)
    assert app.conf.task_always_eager

    result = expire_lapsed_bookings.delay()

    booking.refresh_from_db()
    assert (result.get(), booking.status) == ({"lapsed": 1}, BookingStatus.LAPSED)


# --- The lock of core.locks, in one process (the demo's local-memory cache) ---


def test_cache_lock_is_taken_once_until_released():
    with cache_lock("test", timeout=60) as first, cache_lock("test", timeout=60) as second:
        assert (first, second) == (True, False)
    with cache_lock("test", timeout=60) as again:
        assert again is True


def test_cache_lock_stops_the_job_when_redis_is_down(settings):
    """The shared cache fails open (an unreachable Redis reads as empty): the lock must not, or
    two workers would run the job unguarded."""
    with socket.socket() as probe:  # a port of 127.0.0.1 where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }

    with pytest.raises(redis.ConnectionError), cache_lock("test", timeout=60):
        pytest.fail("The job ran without its lock")


# --- On a real worker ---


@pytest.fixture(scope="module")
def worker(django_db_setup, localstripe_url) -> Iterator[None]:
    """One worker for the module (it starts in seconds), with Redis as its cache and
    localstripe as Stripe. Redis database DB is flushed once, before it starts (the broker's
    bindings live there)."""
    redis_flush(DB)
    env = {"CACHE_URL": redis_url(DB), "STRIPE_API_BASE": localstripe_url}
    with celery_worker(broker_db=DB, env=env, name="jobs1"):
        yield


@pytest.fixture
def send(worker) -> Iterator:
    """`send(task name, **kwargs)` → the task's result, run by the worker (sent by name, as
    beat does)."""
    client = celery_client(redis_url(DB))
    client.conf.task_serializer = "json"

    def run(name: str, **kwargs: object) -> object:
        return client.send_task(name, kwargs=kwargs).get(timeout=RESULT_TIMEOUT)

    run.client = client
    yield run
    client.close()


@pytest.fixture
def requester_of_space(db):
    return MembershipFactory(
        organisation=VerifiedStructureFactory(), user=UserFactory(email="asso@example.test")
    ).user


def _lapsed_request(space, user) -> Booking:
    """A pending request whose decision deadline has just passed."""
    start, end = slot()
    booking = booking_request_for(space=space, requested_by=user, start=start, end=end)
    Booking.objects.filter(pk=booking.pk).update(lapses_at=timezone.now() - timedelta(minutes=1))
    return booking


def _stripe(url: str, path: str, *, post: bool = False) -> dict:
    """Read or act on localstripe directly, as the Stripe dashboard would (outside our code)."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{url}{path}",
        data=b"" if post else None,
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return json.load(response)


@pytest.mark.django_db(transaction=True)
def test_expire_lapsed_bookings_lapses_the_request_and_frees_its_slot(
    send, space, requester_of_space
):
    booking = _lapsed_request(space, requester_of_space)

    result = send("bookings.tasks.expire_lapsed_bookings")

    booking.refresh_from_db()
    assert (result, booking.status) == ({"lapsed": 1}, BookingStatus.LAPSED)
    assert not Occupancy.objects.filter(booking=booking, active=True).exists()


@pytest.mark.django_db(transaction=True)
def test_send_booking_reminders_claims_tomorrows_confirmed_dates(
    send, space, requester_of_space, facilities_manager
):
    # Tomorrow 18:00 is less than a day away after 18:00 today: the space takes short notice
    # (the worker runs on the real clock, which a test cannot freeze).
    space.min_notice_hours = 0
    space.save(update_fields=["min_notice_hours"])
    start, end = slot(days=1, hour=18)
    booking = booking_request_for(
        space=space, requested_by=requester_of_space, start=start, end=end
    )
    booking_approve(booking=booking, actor=facilities_manager)

    result = send("bookings.tasks.send_booking_reminders")

    assert result == {"sent": 1}
    assert Occupancy.objects.get(booking=booking).reminder_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_allocations_daily_starts_an_agreement_whose_first_day_has_come(
    send, office, verified, occupant, facilities_manager
):
    today = timezone.localdate()
    allocation = agreement_signed(
        actor=occupant,
        structure=verified,
        spaces=[office],
        start=today,
        end=today + timedelta(days=365),
        signed_on=today - timedelta(days=1),  # signed the day before its first day
    )
    assert allocation.status == AllocationStatus.SIGNED

    result = send("bookings.tasks.allocations_daily")

    allocation.refresh_from_db()
    assert (result, allocation.status) == (
        {"started": 1, "ended": 0, "reminded": 0},
        AllocationStatus.ACTIVE,
    )


@pytest.mark.django_db(transaction=True)
def test_close_calls_closes_a_call_past_its_deadline(send, commune):
    call = CallFactory(
        owner=commune.organisation,
        status=CallStatus.PUBLISHED,
        deadline=timezone.now() - timedelta(hours=1),
    )

    result = send("calls.tasks.close_calls")

    call.refresh_from_db()
    assert (result, call.status) == ({"closed": 1}, CallStatus.CLOSED)


@pytest.mark.django_db(transaction=True)
def test_send_expiry_reminders_records_the_30_day_reminder(send, structure, member):
    OrganisationDocumentFactory(
        organisation=structure,
        kind=DocumentKind.INSURANCE,
        expires_on=timezone.localdate() + timedelta(days=30),
    )

    result = send("accounts.tasks.send_expiry_reminders")

    reminder = ReminderSent.objects.get()
    assert (result, reminder.threshold_days, reminder.recipient_count) == ({"sent": 1}, 30, 1)
    assert reminder.sent_at is not None


@pytest.fixture
def stripe_store(localstripe_url, settings) -> Iterator[str]:
    """The test process talks to the worker's localstripe; its store is emptied afterwards."""
    settings.STRIPE_API_BASE = localstripe_url
    yield localstripe_url
    empty = urllib.request.Request(f"{localstripe_url}/_config/data", method="DELETE")  # noqa: S310
    urllib.request.urlopen(empty, timeout=30)  # noqa: S310 (loopback)


def _overdue_pay_link(priced_space, requester, facilities_manager) -> Payment:
    """A booking approved without payment: its pay link, past its deadline."""
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    booking_approve(booking=booking, actor=facilities_manager)
    link = Payment.objects.get(booking=booking)
    Payment.objects.filter(pk=link.pk).update(due_by=timezone.now() - timedelta(minutes=1))
    return link


@pytest.mark.django_db(transaction=True)
def test_expire_unpaid_payments_releases_the_link_and_cancels_the_booking(
    send, stripe_store, priced_space, requester, collector, facilities_manager
):
    link = _overdue_pay_link(priced_space, requester, facilities_manager)

    result = send("payments.tasks.expire_unpaid_payments")

    link.refresh_from_db()
    link.booking.refresh_from_db()
    assert result == {"released": 1}
    assert (link.status, link.booking.status) == (PaymentStatus.RELEASED, BookingStatus.CANCELLED)


@pytest.mark.django_db(transaction=True)
def test_release_deposits_releases_the_hold_of_a_booking_over_for_two_days(
    send, stripe_store, requester, collector, facilities_manager, space
):
    space.deposit_cents = 20_000
    space.save(update_fields=["deposit_cents"])
    start, end = slot(days=2)
    booking = booking_request_for(space=space, requested_by=requester, start=start, end=end)
    booking_approve(booking=booking, actor=facilities_manager)
    held = payment_pay(
        payment=deposit_open(booking=booking, actor=requester),
        actor=requester,
        payment_method="pm_card_visa",
    )
    assert held.status == PaymentStatus.AUTHORISED
    # Three days later: the booking took place, and no damage was reported.
    Occupancy.objects.filter(booking=booking).update(
        start=F("start") - timedelta(days=5), end=F("end") - timedelta(days=5)
    )

    result = send("payments.tasks.release_deposits")

    held.refresh_from_db()
    assert (result, held.status) == ({"released": 1}, PaymentStatus.RELEASED)
    assert _stripe(stripe_store, f"/v1/payment_intents/{held.stripe_intent_id}")["status"] == (
        "canceled"
    )


@pytest.mark.django_db(transaction=True)
def test_reconcile_payments_reads_a_capture_whose_webhook_was_missed(
    send, stripe_store, priced_space, requester, collector
):
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    _stripe(stripe_store, f"/v1/payment_intents/{payment.stripe_intent_id}/capture", post=True)

    result = send("payments.tasks.reconcile_payments")

    payment.refresh_from_db()
    assert (result, payment.status) == ({"checked": 1, "changed": 1}, PaymentStatus.CAPTURED)


@pytest.mark.django_db(transaction=True)
def test_issue_missing_invoices_issues_the_invoice_of_a_collected_payment(
    send, priced_space, requester, collector
):
    start, end = slot()
    booking = booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)
    payment = Payment.objects.create(
        booking=booking,
        owner=collecting_organisation(priced_space),
        amount_cents=3000,
        captured_cents=3000,
        status=PaymentStatus.CAPTURED,
        hold_first=False,
    )

    result = send("payments.tasks.issue_missing_invoices")

    assert result == {"issued": 1, "failed": 0}
    assert Invoice.objects.filter(payment=payment).count() == 1


@pytest.mark.django_db(transaction=True)
def test_request_agreement_payments_requests_this_months_fee(
    send, collector, territory_admin, association, requester, site
):
    today = timezone.localdate()
    office = SpaceFactory(site=site, kind=SpaceKind.OFFICE, allocatable=True, bookable=False)
    allocation = agreement_signed(
        actor=territory_admin,
        structure=association,
        spaces=[office],
        start=today.replace(day=1),
        end=today.replace(day=1) + timedelta(days=400),
        annual_fee_cents=12_000_00,
    )

    result = send("payments.tasks.request_agreement_payments")

    assert result == {"issued": 1}
    payment = Payment.objects.get(purpose=PaymentPurpose.AGREEMENT_FEE)
    assert payment.allocation_id == allocation.pk
    assert PaymentChannel.objects.get(owner=payment.owner).stripe_ready


# --- Two runs at once ---


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_lock_is_held_elsewhere_does_nothing_until_it_is_released(
    send, stripe_store, priced_space, requester, collector, facilities_manager
):
    link = _overdue_pay_link(priced_space, requester, facilities_manager)
    # Another worker, on another machine, is releasing the pay links: it holds the job's lock.
    with redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=DB) as elsewhere:
        lock = elsewhere.lock(lock_key("job:payments.tasks.expire_unpaid_payments"), timeout=60)
        assert lock.acquire(blocking=False)
        try:
            while_held = send("payments.tasks.expire_unpaid_payments")
            link.refresh_from_db()
            status_while_held = link.status
        finally:
            lock.release()

    after = send("payments.tasks.expire_unpaid_payments")

    link.refresh_from_db()
    assert (while_held, status_while_held) == (SKIPPED, PaymentStatus.REQUIRES_AUTHORISATION)
    assert (after, link.status) == ({"released": 1}, PaymentStatus.RELEASED)


def _wait_for(condition, what: str) -> None:
    """Poll `condition` until it holds; fail after RESULT_TIMEOUT (a bound, not a measure)."""
    deadline = time.monotonic() + RESULT_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Still waiting for {what} after {RESULT_TIMEOUT} s")
        time.sleep(0.1)


def _waiting_for_a_lock() -> int:
    """PostgreSQL: how many sessions of the test database wait for a lock (here, the row the
    test holds); other databases of the server are not ours to count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE NOT l.granted AND a.datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_lapsing_the_same_requests_at_once_lapse_each_once(
    send, space, requester_of_space
):
    # One space each: a new request lapses its own space's lapsed requests first.
    bookings = [
        _lapsed_request(SpaceFactory(site=space.site), requester_of_space) for _ in range(24)
    ]
    name = "bookings.tasks.expire_lapsed_bookings"
    # Two processes of a worker of their own, on a queue of their own: the module's worker
    # (solo) could otherwise take both runs and run them one after the other. No statement
    # timeout: a run waiting for the row the test holds is not cancelled (and retried later,
    # out of step with the other) however long a busy machine takes to start both.
    env = {"CACHE_URL": redis_url(DB), "DATABASE_STATEMENT_TIMEOUT": "0"}

    with celery_worker(broker_db=DB, env=env, name="jobs2", concurrency=2, queue="lapse"):
        # The test holds the first request's row (PostgreSQL) or the write lock (SQLite's
        # IMMEDIATE transaction) until both runs have started, so that they overlap: each has
        # listed the lapsed requests, and both go for the same rows when it lets go.
        with transaction.atomic():
            Booking.objects.select_for_update().get(pk=bookings[0].pk)
            runs = [send.client.send_task(name, queue="lapse") for _ in range(2)]
            # STARTED: a worker took it (CELERY_TASK_TRACK_STARTED); a busy solo worker
            # answers no inspection.
            _wait_for(
                lambda: all(run.state == "STARTED" for run in runs), "both workers to run the job"
            )
            if connection.vendor == "postgresql":
                _wait_for(lambda: _waiting_for_a_lock() >= 2, "both runs to wait for the row")
        results = [run.get(timeout=RESULT_TIMEOUT) for run in runs]

    assert sum(result["lapsed"] for result in results) == len(bookings)
    assert set(
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).values_list("status", flat=True)
    ) == {BookingStatus.LAPSED}
    assert BookingLog.objects.filter(to_status=BookingStatus.LAPSED).count() == len(bookings)


# --- Nudged jobs (core.jobs.job_nudge) ---


def test_a_nudge_the_broker_refused_leaves_the_next_caller_free_to_send(db, caplog):
    """The window's key is taken back when the job could not be sent: the next commit sends
    one, instead of its work waiting for the sweep."""
    from django.core.cache import cache

    from bookings.tasks import write_new_booking_messages
    from core.jobs import job_nudge

    with socket.socket() as probe:  # a port of 127.0.0.1 where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with publishing_to(f"redis://127.0.0.1:{port}/{DB}"):
        sent = job_nudge(write_new_booking_messages)

    assert sent is False
    assert cache.get(f"job-nudge:{write_new_booking_messages.name}") is None
    assert "Job not sent" in caplog.text
    # Without a broker the job runs at once, each time (nothing to wait for).
    assert job_nudge(write_new_booking_messages) is True
    assert job_nudge(write_new_booking_messages) is True
