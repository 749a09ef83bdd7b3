"""Timestamps read from PostgreSQL by psycopg's compiled loader, as Django would read them.

Django registers its own loader for `timestamptz` on every PostgreSQL connection, a subclass of
psycopg's pure-Python `TimestamptzLoader` that sets the result's tzinfo (psycopg_any.BaseTzLoader):
each date read is parsed by a regular expression in Python, ≈ 6 µs, even where psycopg's compiled
loader is installed (psycopg-binary, in production too). A member's "My bookings" reads about
1,300 of them per page, a third of its query time (docs/decisions.md, issue 18).

`timestamps_connect` gives each new PostgreSQL connection a loader that parses with the compiled
one and sets the tzinfo exactly as Django's does (same value, same tzinfo object). Its class has
Django's `timezone` attribute, so Django's cursors keep it (they register their own loader only
when the connection's timezone differs). Without the compiled implementation (psycopg installed
without its binary package) nothing changes.
"""

from functools import lru_cache

from django.db.backends.signals import connection_created


@lru_cache
def _compiled_loader() -> type | None:
    """psycopg's compiled timestamptz text loader, or None when psycopg runs in pure Python."""
    import psycopg
    from psycopg.pq import Format
    from psycopg.types.datetime import TimestamptzLoader

    found = psycopg.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, Format.TEXT)
    return None if found is None or found is TimestamptzLoader else found


@lru_cache
def _loader_for(timezone) -> type:
    """A loader class for connections whose Django timezone is `timezone` (None: naive)."""
    from psycopg.adapt import Loader

    compiled = _compiled_loader()

    class CompiledTzLoader(Loader):
        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._load = compiled(oid, context).load

        def load(self, data):
            # As django.db.backends.postgresql.psycopg_any.BaseTzLoader.load.
            return self._load(data).replace(tzinfo=self.timezone)

    CompiledTzLoader.timezone = timezone
    return CompiledTzLoader


def _register(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql" or _compiled_loader() is None:
        return
    connection.connection.adapters.register_loader("timestamptz", _loader_for(connection.timezone))


def timestamps_connect() -> None:
    """Read timestamps with the compiled loader on every new PostgreSQL connection (called in
    CoreConfig.ready)."""
    connection_created.connect(_register, dispatch_uid="core.timestamps")
