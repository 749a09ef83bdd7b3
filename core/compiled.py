"""A queryset's SQL compiled once per process and database, then run with the request's values.

Compiling a rich queryset (lookups resolved into joins, subqueries, annotations) costs
milliseconds of CPU on every request that builds it, while its SQL is the same each time but
for a few values (a user's id, a space's id, a period). `CompiledQuery` builds the queryset with
sentinel values, compiles it once per database alias, notes where each sentinel landed among the
parameters, and from then on runs that SQL with the real values put in their place; rows become
model instances (select_related included) or dicts exactly as Django's own iterables make them,
with the database's converters applied (docs/decisions.md, issue 18).

What a placeholder may be: a value that reaches the SQL as a parameter, unchanged — an id, a
string, a datetime or a date compared to a column. A value the queryset computes with (adds a
duration to, formats), one that changes the SQL's shape (a list for `__in`, None for `isnull`)
or one read at build time (`timezone.now()`) cannot: compiling builds the queryset twice with
different sentinels and refuses it unless the SQL is the same and the parameters differ exactly
where the sentinels are.

Prepared (`prepare=True`, PostgreSQL): the statement is also prepared once per database
connection (psycopg's prepared statements, through a server-side binding cursor), so that
PostgreSQL stops parsing and planning it at every run: ~0.8 ms of the database's CPU for the
space a booking request locks. Only for a query whose best plan cannot depend on its values
(rows found by primary key): after five runs PostgreSQL may keep a generic plan, made without
the values, which is a trap for a query on a range of dates (docs/decisions.md, issue 18,
"Prepared statements: not kept"). `tests/core/test_compiled.py` compares each prepared
query's generic plan with its custom one. Off when DATABASE_PREPARED_STATEMENTS is false (a
connection pooler in transaction mode cannot keep a statement prepared on a connection).
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from django.db import connections, router
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

_sentinels = count(1)


class PlaceholderError(ValueError):
    """The queryset does not pass a placeholder straight to its SQL (see the module's doc)."""


def _sentinel(kind: type, serial: int) -> Any:
    if kind is int:
        return -7_340_000_000_000 - serial
    if kind is str:
        return f"compiled-placeholder-{serial}"
    if kind is datetime:
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(seconds=serial)
    if kind is date:
        return date(1901, 1, 1) + timedelta(days=serial)
    raise TypeError(f"Placeholders are int, str, datetime or date, not {kind.__name__}.")


def _adapt(connection, value: Any) -> Any:
    """A value as Django's fields pass it to this database's driver."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: dict[str, tuple[int, ...]]  # placeholder → its positions among the parameters
    compiler: SQLCompiler  # set up by as_sql: select, klass_info, annotations
    values_names: tuple[str, ...] | None  # a values() queryset's keys; None: model instances
    # The columns' converters, found once per connection (Django looks for them again at
    # every run: ~100 lookups for the space a booking request locks).
    converters: weakref.WeakKeyDictionary

    def converters_for(self, connection) -> dict:
        found = self.converters.get(connection)
        if found is None:
            compiler = copy.copy(self.compiler)
            compiler.connection = connection
            fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
            found = self.converters[connection] = compiler.get_converters(fields)
        return found


class CompiledQuery:
    """`build(**placeholders)` returns the queryset; `placeholders` names each one's type.

    >>> ROUTING = CompiledQuery(lambda site: User.objects.filter(...), site=int)
    >>> ROUTING.run(site=12)  # a list of User, or of dicts for a values() queryset
    """

    # Every prepared query of the process (the test of their generic plans reads it).
    prepared: weakref.WeakSet[CompiledQuery] = weakref.WeakSet()

    def __init__(
        self, build: Callable[..., QuerySet], *, prepare: bool = False, **placeholders: type
    ):
        self.build = build
        self.placeholders = placeholders
        self.prepare = prepare
        if prepare:
            CompiledQuery.prepared.add(self)
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        self._model = None

    def _compile(self, alias: str) -> _Compiled:
        connection = connections[alias]
        attempts = []
        for _attempt in range(2):
            sentinels = {
                name: _sentinel(kind, next(_sentinels)) for name, kind in self.placeholders.items()
            }
            queryset = self.build(**sentinels)
            compiler = queryset.query.get_compiler(alias)
            sql, params = compiler.as_sql()
            attempts.append((sentinels, queryset, compiler, sql, tuple(params)))
        (first, _q, _c, sql, params), (second, queryset, compiler, sql2, params2) = attempts
        if sql != sql2 or len(params) != len(params2):
            raise PlaceholderError(f"{self.build}: the SQL changes with the placeholders' values.")
        slots: dict[str, tuple[int, ...]] = {}
        for name in self.placeholders:
            found = tuple(
                index
                for index, (one, other) in enumerate(zip(params, params2, strict=True))
                if one == _adapt(connection, first[name])
                and other == _adapt(connection, second[name])
            )
            if not found:
                raise PlaceholderError(f"{self.build}: `{name}` is not a parameter of its SQL.")
            slots[name] = found
        placed = {index for found in slots.values() for index in found}
        for index, (one, other) in enumerate(zip(params, params2, strict=True)):
            if index not in placed and one != other:
                raise PlaceholderError(
                    f"{self.build}: parameter {index} changes between two builds ({one!r}, "
                    f"{other!r}): it is computed from a placeholder or read at build time."
                )
        if queryset._iterable_class not in (ModelIterable, ValuesIterable):
            raise PlaceholderError(
                f"{self.build}: give model instances or values() dicts, not "
                f"{queryset._iterable_class.__name__} rows."
            )
        is_values = queryset._iterable_class is ValuesIterable
        query = queryset.query
        return _Compiled(
            sql=sql2,
            params=params2,
            slots=slots,
            compiler=compiler,
            values_names=(
                (*query.extra_select, *query.values_select, *query.annotation_select)
                if is_values
                else None
            ),
            converters=weakref.WeakKeyDictionary(),
        )

    def compiled(self, alias: str) -> _Compiled:
        found = self._compiled.get(alias)
        if found is None:
            with self._lock:
                found = self._compiled.get(alias)
                if found is None:
                    found = self._compiled[alias] = self._compile(alias)
        return found

    def sql(self, alias: str = "default") -> str:
        return self.compiled(alias).sql

    def run(self, *, using: str | None = None, **values: Any) -> list:
        """The rows for `values` (every placeholder given): model instances as the queryset
        would give them (select_related and annotations included), or dicts for values()."""
        compiler, rows, alias = self._rows(using, values)
        names = self.compiled(alias).values_names
        if names is not None:
            return [dict(zip(names, row, strict=True)) for row in rows]
        return _instances(compiler, rows, alias)

    def run_joined(self, *, using: str | None = None, **values: Any) -> tuple[Any, list[dict]]:
        """For a query whose join repeats one object over several rows (a space and its
        opening hours): the first row's instance (None without rows) and every row's
        annotations, as dicts. Only one instance is made, where `run` makes one per row."""
        compiler, rows, alias = self._rows(using, values)
        if not rows:
            return None, []
        annotations = compiler.annotation_col_map or {}
        return _instances(compiler, rows[:1], alias)[0], [
            {name: row[position] for name, position in annotations.items()} for row in rows
        ]

    def _rows(self, using: str | None, values: dict[str, Any]) -> tuple[SQLCompiler, list, str]:
        if set(values) != set(self.placeholders):
            raise TypeError(f"Give exactly {sorted(self.placeholders)}.")
        alias = using or self._alias()
        compiled = self.compiled(alias)
        connection = connections[alias]
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            adapted = _adapt(connection, values[name])
            for position in positions:
                params[position] = adapted
        with _cursor(connection, prepare=self.prepare) as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        # The compiler set up once, bound to this thread's connection for the converters.
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection
        converters = compiled.converters_for(connection)
        if converters:
            fetched = list(map(tuple, compiler.apply_converters(fetched, converters)))
        return compiler, fetched, alias

    def _alias(self) -> str:
        if self._model is None:  # built once to know it
            sentinels = {name: _sentinel(kind, 0) for name, kind in self.placeholders.items()}
            self._model = self.build(**sentinels).model
        return router.db_for_read(self._model)


def _cursor(connection, *, prepare: bool):
    """A cursor of `connection`; on PostgreSQL, with `prepare` and prepared statements on
    (OPTIONS' `prepare_threshold` set), one that prepares what it runs. Wrapped as Django wraps
    its own cursors: the queries are logged and counted, errors are Django's."""
    if not prepare or connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        return connection.cursor()
    connection.validate_thread_sharing()
    cursor = _preparing_cursor_class()(connection.connection)
    if connection.queries_logged:
        return _PreparedDebugWrapper(cursor, connection)
    return connection.make_cursor(cursor)


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs a prepared statement's SQL with its values, as Django logs its own (psycopg does
    not keep the text of a statement it ran prepared, where Django reads it)."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


_PREPARING_CURSOR = None


def _preparing_cursor_class() -> type:
    """Django's server-side binding cursor, always asking psycopg to prepare (psycopg keeps the
    connection's prepared statements, and prepares again after a reconnection)."""
    global _PREPARING_CURSOR  # built on first use: psycopg is imported only for PostgreSQL
    if _PREPARING_CURSOR is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparingCursor(ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _PREPARING_CURSOR = PreparingCursor
    return _PREPARING_CURSOR


def _instances(compiler: SQLCompiler, rows, alias: str) -> list:
    """Model instances from rows, as Django's ModelIterable makes them."""
    select, klass_info, annotation_col_map = (
        compiler.select,
        compiler.klass_info,
        compiler.annotation_col_map,
    )
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)
    instances = []
    for row in rows:
        instance = model.from_db(alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        for name, position in (annotation_col_map or {}).items():
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances


class CompiledQueries:
    """A bounded family of `CompiledQuery`, one per shape of SQL: a page's bounds (LIMIT and
    OFFSET are the SQL's text), whether a slot stays within one day…. `builder(*key)` gives
    the build function of shape `key`. At most `most` shapes are kept per process (a client
    asking for many shapes fills no more memory), besides those `always(key)` keeps; past
    that, `get` answers None and the caller builds its queryset as usual."""

    def __init__(
        self,
        builder: Callable[..., Callable[..., QuerySet]],
        *,
        most: int,
        always: Callable[..., bool] = lambda *key: False,
    ):
        self.builder = builder
        self.most = most
        self.always = always
        self._queries: dict[tuple, CompiledQuery] = {}

    def __contains__(self, key: tuple) -> bool:
        return key in self._queries

    def get(self, key: tuple, **placeholders: type) -> CompiledQuery | None:
        """The compiled query of shape `key` (`placeholders` as `CompiledQuery` takes them,
        used when the shape is first asked for), or None past the bound."""
        query = self._queries.get(key)
        if query is None:
            if len(self._queries) >= self.most and not self.always(*key):
                return None
            query = self._queries.setdefault(key, CompiledQuery(self.builder(*key), **placeholders))
        return query
