"""core.compiled: a queryset compiled once gives, for other values, exactly what the ORM gives
(instances with select_related and annotations, dicts for values(), the database's converters),
in one query; a queryset that does not pass its placeholders straight to SQL is refused."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.compiled import CompiledQueries, CompiledQuery, PlaceholderError
from spaces.models import Space
from tests.factories import SiteFactory, SpaceFactory

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
