"""A silent database does not freeze workers: connecting gives up after the connect timeout, a
statement is cancelled after the statement timeout, /healthz answers 503 in seconds.

Issue 9 §6: pointed at a database that accepts connections and never answers, /healthz and the
pages hung 30 s until gunicorn killed the worker.
"""

import threading
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.db.backends.postgresql.base import DatabaseWrapper

from config.database import postgresql_timeouts
from tests.stack import silent_tcp_server

JOIN_BOUND = 30  # seconds: far above the timeouts, so a busy machine still passes


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """A "database" that accepts connections and never says a word."""
    with silent_tcp_server() as address:
        yield address


def _postgresql_settings(**changes) -> dict:
    """The settings' database entry as PostgreSQL would have it (same OPTIONS helper)."""
    options = postgresql_timeouts(
        connect_timeout=django_settings.DATABASE_CONNECT_TIMEOUT,
        statement_timeout=django_settings.DATABASE_STATEMENT_TIMEOUT,
    )
    entry = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "OPTIONS": options,
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
    }
    if connection.vendor == "postgresql":
        entry |= {k: connection.settings_dict[k] for k in ("NAME", "USER", "HOST", "PORT")}
        entry["PASSWORD"] = connection.settings_dict["PASSWORD"]
    return entry | changes


def _in_thread(function) -> dict:
    """Run `function` in a thread; return what it raised or returned, and whether it ended."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except Exception as exc:  # reported to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(JOIN_BOUND)
    outcome["finished"] = not thread.is_alive()
    return outcome


def test_production_database_options_carry_both_timeouts(settings):
    options = postgresql_timeouts(connect_timeout=5, statement_timeout=30)

    assert options == {"connect_timeout": 5, "options": "-c statement_timeout=30000"}
    assert settings.DATABASE_CONNECT_TIMEOUT == 5
    assert settings.DATABASE_STATEMENT_TIMEOUT == 30


def test_connecting_to_a_silent_database_fails_within_the_connect_timeout(db, silent_server):
    host, port = silent_server
    entry = _postgresql_settings(HOST=host, PORT=str(port))

    outcome = _in_thread(lambda: DatabaseWrapper(entry, alias="silent").ensure_connection())

    assert outcome["finished"]
    assert isinstance(outcome.get("error"), OperationalError)


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="needs the real PostgreSQL",
)
def test_the_settings_give_every_connection_its_statement_timeout(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        [value] = cursor.fetchone()

    assert value == f"{django_settings.DATABASE_STATEMENT_TIMEOUT}s"


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="needs the real PostgreSQL",
)
def test_a_slow_statement_is_cancelled_by_the_statement_timeout(db):
    entry = _postgresql_settings()
    entry["OPTIONS"] = postgresql_timeouts(connect_timeout=5, statement_timeout=1)

    def sleep() -> None:
        wrapper = DatabaseWrapper(entry, alias="slow")
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(20)")
        finally:
            wrapper.close()

    outcome = _in_thread(sleep)

    assert outcome["finished"]
    assert isinstance(outcome.get("error"), OperationalError)
    assert "statement timeout" in str(outcome["error"])


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="/healthz reads the default database, which must be PostgreSQL here",
)
@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_when_the_database_is_silent(client, silent_server):
    host, port = silent_server
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST=host, PORT=str(port))
    try:
        outcome = _in_thread(lambda: client.get("/healthz"))
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert outcome["finished"]
    assert outcome["value"].status_code == 503
