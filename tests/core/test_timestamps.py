"""Timestamps read by psycopg's compiled loader (core.timestamps) are the values Django's own
loader gives: same instants, same tzinfo object, microseconds and far dates included."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

from core.timestamps import _compiled_loader, _register

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders")

PARIS = ZoneInfo("Europe/Paris")
VALUES = [
    datetime(2027, 1, 12, 18, 0, tzinfo=PARIS),
    datetime(2027, 3, 28, 1, 59, 59, 999_999, tzinfo=PARIS),  # just before the clock change
    datetime(2027, 3, 28, 3, 0, tzinfo=PARIS),
    datetime(2027, 10, 31, 2, 30, 0, 1, tzinfo=PARIS),  # the repeated hour
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]
SQL = "SELECT " + ", ".join(["%s::timestamptz"] * len(VALUES))


def _read() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(SQL, VALUES)
        return cursor.fetchone()


@pytest.mark.django_db
def test_timestamps_read_as_django_reads_them():
    ours = _read()
    connection.connection.adapters.register_loader(
        "timestamptz", type("DjangoTzLoader", (BaseTzLoader,), {"timezone": connection.timezone})
    )
    try:
        django_read = _read()
    finally:
        _register(None, connection)  # as a new connection gets it

    # In UTC: Python never finds a time of the repeated hour equal to one of another zone.
    assert ours == django_read == tuple(value.astimezone(UTC) for value in VALUES)
    assert [value.tzinfo for value in ours] == [value.tzinfo for value in django_read]
    assert all(value.tzinfo is connection.timezone for value in ours)


@pytest.mark.django_db
@pytest.mark.skipif(_compiled_loader() is None, reason="psycopg without its binary package")
def test_connections_read_timestamps_with_the_compiled_loader():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        loader = cursor.adapters.get_loader(1184, 0)  # timestamptz, text

    assert loader.__name__ == "CompiledTzLoader"
    assert loader.timezone is connection.timezone
