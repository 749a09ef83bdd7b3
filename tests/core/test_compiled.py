"""core.compiled: a queryset compiled once gives, for other values, exactly what the ORM gives
(instances with select_related and annotations, dicts for values(), the database's converters),
in one query; a queryset that does not pass its placeholders straight to SQL is refused."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.compiled import CompiledQueries, CompiledQuery, PlaceholderError
from spaces.models import Space
from tests.factories import OpeningHoursFactory, SiteFactory, SpaceFactory

pytestmark = pytest.mark.django_db


def _spaces_of(site: int, named: str):
    return (
        Space.objects.filter(site_id=site)
        .exclude(name=named)
        .select_related("site", "site__commune")
        .annotate(same_site=Count("site__spaces"))
        .order_by("name")
    )


def test_instances_are_the_orms_for_each_new_value():
    spaces = {site.pk: site for site in SiteFactory.create_batch(2)}
    for site in spaces.values():
        SpaceFactory(site=site, name="Salle A", capacity=12)
        SpaceFactory(site=site, name="Salle B", surface_m2="45.50")
    compiled = CompiledQuery(_spaces_of, site=int, named=str)
    for site in spaces:
        for named in ("Salle A", "Salle Z"):
            expected = list(_spaces_of(site, named))
            with CaptureQueriesContext(connection) as queries:
                got = compiled.run(site=site, named=named)
            assert len(queries) == 1
            assert [space.pk for space in got] == [space.pk for space in expected]
            for mine, theirs in zip(got, expected, strict=True):
                assert mine.__dict__.keys() >= {"same_site"}
                assert mine.same_site == theirs.same_site
                assert mine.surface_m2 == theirs.surface_m2  # the Decimal converter (SQLite)
                assert mine.site.commune.name == theirs.site.commune.name
                assert mine._state.db == theirs._state.db
                assert not mine._state.adding


def test_values_rows_are_dicts_as_values_gives_them():
    site = SiteFactory()
    space = SpaceFactory(site=site, name="Salle A")
    since = timezone.now() - timedelta(days=1)

    def build(site: int, since: datetime):
        return (
            Space.objects.filter(site_id=site, site__created_at__gte=since)
            .values("pk", "name", "site__name")
            .annotate(n=Count("pk"))
        )

    compiled = CompiledQuery(build, site=int, since=datetime)
    assert compiled.run(site=site.pk, since=since) == list(build(site.pk, since))
    assert compiled.run(site=site.pk, since=since)[0]["name"] == space.name
    assert compiled.run(site=site.pk, since=timezone.now() + timedelta(days=1)) == []


def test_a_value_read_at_build_time_is_refused():
    compiled = CompiledQuery(
        lambda site: Space.objects.filter(site_id=site, site__created_at__lte=timezone.now()),
        site=int,
    )
    with pytest.raises(PlaceholderError, match="changes between two builds"):
        compiled.run(site=1)


def test_a_value_computed_from_a_placeholder_is_refused():
    compiled = CompiledQuery(
        lambda since: Space.objects.filter(site__created_at__gte=since + timedelta(hours=1)),
        since=datetime,
    )
    with pytest.raises(PlaceholderError, match="not a parameter"):
        compiled.run(since=datetime(2026, 1, 1, tzinfo=UTC))


def test_a_placeholder_that_changes_the_sql_is_refused():
    compiled = CompiledQuery(
        lambda site: Space.objects.filter(Q(site_id=site) if site % 2 else Q(pk=site)),
        site=int,
    )
    with pytest.raises(PlaceholderError):
        compiled.run(site=1)


def test_every_placeholder_must_be_given():
    compiled = CompiledQuery(_spaces_of, site=int, named=str)
    with pytest.raises(TypeError):
        compiled.run(site=1)


def test_values_list_rows_are_refused_rather_than_misread():
    compiled = CompiledQuery(
        lambda site: Space.objects.filter(site_id=site).values_list("pk"), site=int
    )
    with pytest.raises(PlaceholderError, match="values"):
        compiled.run(site=1)


def test_a_family_keeps_at_most_its_bound_of_shapes_besides_those_it_always_keeps():
    site = SiteFactory()
    for name in ("A", "B", "C"):
        SpaceFactory(site=site, name=f"Salle {name}")

    def page(offset: int):
        return lambda site: Space.objects.filter(site_id=site).order_by("name")[offset : offset + 1]

    family = CompiledQueries(page, most=1, always=lambda offset: offset == 0)

    first = family.get((1,), site=int)
    assert [space.name for space in first.run(site=site.pk)] == ["Salle B"]
    assert family.get((1,), site=int) is first
    assert family.get((2,), site=int) is None  # past the bound
    assert [space.name for space in family.get((0,), site=int).run(site=site.pk)] == ["Salle A"]


# --- One instance for a joined query; prepared statements (issue 18) -------------------------


def test_run_joined_makes_one_instance_and_gives_every_rows_annotations():
    site = SiteFactory()
    space = SpaceFactory(site=site, name="Salle A")
    for weekday in (0, 2):
        OpeningHoursFactory(space=space, weekday=weekday)

    def build(space: int):
        return (
            Space.objects.filter(pk=space)
            .select_related("site")
            .annotate(day=F("opening_hours__weekday"))
            .order_by("opening_hours__weekday")
        )

    compiled = CompiledQuery(build, space=int)
    with CaptureQueriesContext(connection) as queries:
        found, rows = compiled.run_joined(space=space.pk)

    assert len(queries) == 1
    assert (found.pk, found.site.name, found.day) == (space.pk, site.name, 0)
    assert rows == [{"day": 0}, {"day": 2}]
    assert compiled.run_joined(space=space.pk + 1000) == (None, [])


def _prepared_on_this_connection() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_prepared_query_gives_the_orms_rows_logs_its_values_and_is_prepared_once():
    spaces = {site.pk: site for site in SiteFactory.create_batch(2)}
    for site in spaces.values():
        SpaceFactory(site=site, name="Salle A", surface_m2="45.50")
    compiled = CompiledQuery(_spaces_of, prepare=True, site=int, named=str)

    for _round in range(3):
        for site in spaces:
            expected = list(_spaces_of(site, "Salle Z"))
            with CaptureQueriesContext(connection) as queries:
                got = compiled.run(site=site, named="Salle Z")
            assert [space.pk for space in got] == [space.pk for space in expected]
            assert got[0].surface_m2 == expected[0].surface_m2
            assert got[0].same_site == expected[0].same_site
            assert len(queries) == 1
            assert "Salle Z" in queries[0]["sql"]  # logged with its values, as Django logs

    if connection.vendor == "postgresql":
        prepared = [sql for sql in _prepared_on_this_connection() if "Salle" not in sql]
        assert len([sql for sql in prepared if "spaces_space" in sql and "$2" in sql]) == 1


def test_prepared_statements_are_off_when_the_settings_turn_them_off():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite prepares nothing")
    site = SiteFactory()
    SpaceFactory(site=site, name="Salle A")
    compiled = CompiledQuery(_spaces_of, prepare=True, site=int, named=str)
    threshold = connection.connection.prepare_threshold
    connection.connection.prepare_threshold = None  # DATABASE_PREPARED_STATEMENTS=false
    try:
        before = len(_prepared_on_this_connection())
        assert len(compiled.run(site=site.pk, named="Salle Z")) == 1
        assert len(_prepared_on_this_connection()) == before
    finally:
        connection.connection.prepare_threshold = threshold


def _numbered(sql: str) -> str:
    """Django's `%s` placeholders as PREPARE's `$1`, `$2`… (and `%%` as `%`)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    return re.sub(r"%[%s]", lambda mark: "%" if mark[0] == "%%" else f"${next(numbers)}", sql)


INDEX_READS = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def _plan_shape(node: dict) -> tuple:
    """A plan's tree of nodes and the tables they read, each read through an index or not
    (which index may differ: a partial index whose condition a value decides is for custom
    plans only), without costs or row counts. A Result node over one child is left out: a
    generic plan tests there what a custom plan decided while planning (two ids equal)."""
    kind = node["Node Type"]
    children = node.get("Plans", ())
    if kind == "Result" and len(children) == 1:
        return _plan_shape(children[0])
    if kind in INDEX_READS:
        return ("read through an index", node["Relation Name"])
    return (kind, node.get("Relation Name"), tuple(_plan_shape(child) for child in children))


def test_every_prepared_query_has_the_same_plan_generic_or_custom(space, requester, organisation):
    """A prepared statement may be run with a generic plan, made without the values. It is
    safe only when the plan cannot depend on them (rows found by primary key): for each
    prepared query of the platform, the generic plan and the custom one must be the same."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    # The modules that define prepared queries (all of them, whatever ran before).
    import accounts.backends
    import accounts.sessions  # noqa: F401
    import bookings.services.requests  # noqa: F401
    import payments.receivers  # noqa: F401

    # A value for each placeholder name: a new prepared query with a new name fails here
    # (KeyError) until it is given one.
    values = {
        "space": space.pk,
        "organisation": organisation.pk,
        "user": requester.pk,
        "scoped": organisation.pk,
        "booking": 1,  # a primary key: whether it exists does not change the plan
        "pk": requester.pk,
        "key": "a-session-key-that-is-not-there",
        "now": timezone.now(),
    }
    queries = list(CompiledQuery.prepared)
    # The locked space (session, scoped token), the payments' read, the session, the user.
    assert len(queries) >= 5
    for query in queries:
        compiled = query.compiled("default")
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            for position in positions:
                params[position] = values[name]
        sql = _numbered(compiled.sql)
        shapes = {}
        with connection.cursor() as cursor:
            cursor.execute(f"PREPARE plan_check AS {sql}")
            try:
                for mode in ("force_custom_plan", "force_generic_plan"):
                    cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
                    marks = ", ".join(["%s"] * len(params))
                    cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE plan_check({marks})", params)
                    plan = cursor.fetchone()[0]
                    plan = json.loads(plan) if isinstance(plan, str) else plan
                    shapes[mode] = _plan_shape(plan[0]["Plan"])
            finally:
                cursor.execute("DEALLOCATE plan_check")
        assert shapes["force_generic_plan"] == shapes["force_custom_plan"], query.build
