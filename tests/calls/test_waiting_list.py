"""Waiting list: structures register their needs; managers of vacant spaces see who fits."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import WaitingListEntry
from calls.selectors import waiting_list_candidates_for
from spaces.models import SpaceKind
from tests.factories import SpaceFactory, StructureFactory, WaitingListEntryFactory

TODAY = date(2026, 11, 27)


@pytest.fixture
def structure(territory_admin):
    """Overrides the shared persona: only verified structures register needs."""
    return StructureFactory(
        name="Mobilité Solidaire",
        email="contact@mobilite.example",
        verified_at=timezone.now(),
        verified_by=territory_admin,
    )


def vacant(site, **fields):
    defaults = {
        "kind": SpaceKind.OFFICE,
        "surface_m2": Decimal("40"),
        "allocatable": True,
        "vacant_since": date(2026, 9, 1),
    }
    return SpaceFactory(site=site, **{**defaults, **fields})


@pytest.fixture
def office(site):
    return vacant(site, name="Bureau 4")


def _candidates(user, **kwargs) -> dict[str, list[str]]:
    return {
        row.space.name: [entry.notes for entry in row.entries]
        for row in waiting_list_candidates_for(user, today=TODAY, **kwargs)
    }


def test_candidates_fit_kind_surface_commune_and_date(
    facilities_manager, office, commune, other_commune
):
    entry = WaitingListEntryFactory
    entry(notes="fits", min_surface_m2=30, max_surface_m2=50, communes=[commune])
    entry(notes="anything", kind=SpaceKind.OFFICE)
    entry(notes="bounds inclusive", min_surface_m2=40, max_surface_m2=40)
    entry(notes="needed since", wanted_from=date(2026, 11, 27))
    entry(notes="workshop", kind=SpaceKind.WORKSHOP)
    entry(notes="too big", max_surface_m2=39)
    entry(notes="too small", min_surface_m2=41)
    entry(notes="elsewhere", communes=[other_commune])
    entry(notes="later", wanted_from=date(2026, 11, 28))
    entry(notes="closed", closed_at=timezone.now())

    assert _candidates(facilities_manager) == {
        "Bureau 4": ["fits", "anything", "bounds inclusive", "needed since"]
    }


def test_candidates_cover_only_vacant_allocatable_spaces_the_user_manages(
    facilities_manager, site, office, other_site
):
    vacant(site, name="Bureau occupé", vacant_since=None)
    vacant(site, name="Salle horaire", allocatable=False)
    vacant(other_site, name="Bureau d'ailleurs")
    WaitingListEntryFactory(notes="any office")

    assert _candidates(facilities_manager) == {"Bureau 4": ["any office"]}


def test_candidates_of_one_space(facilities_manager, site, office):
    vacant(site, name="Bureau 5")
    WaitingListEntryFactory(notes="any office")

    assert _candidates(facilities_manager, space_pk=office.pk) == {"Bureau 4": ["any office"]}


def test_candidates_are_empty_for_outsiders(outsider, office):
    WaitingListEntryFactory()

    assert _candidates(outsider) == {}


def test_candidates_read_a_fixed_number_of_queries(territory_admin, site, commune):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            waiting_list_candidates_for(territory_admin, today=TODAY)
        return len(queries)

    vacant(site)
    WaitingListEntryFactory(communes=[commune])
    few = count()
    for n in range(5):
        vacant(site, name=f"Atelier {n}", kind=SpaceKind.WORKSHOP)
        WaitingListEntryFactory(kind=SpaceKind.WORKSHOP, communes=[commune])
        WaitingListEntryFactory(structure=StructureFactory())

    assert count() == few == 4


def test_member_registers_a_need(client, member, structure, commune):
    client.force_login(member)

    response = client.post(
        reverse("calls:waiting-create"),
        {
            "structure": structure.pk,
            "kind": SpaceKind.OFFICE,
            "min_surface_m2": "20",
            "max_surface_m2": "60",
            "communes": [commune.pk],
            "wanted_from": "2027-01-01",
            "notes": "Accueil du public deux jours par semaine.",
        },
    )

    assert response.status_code == 302
    entry = WaitingListEntry.objects.get()
    assert (entry.structure, entry.kind, entry.min_surface_m2, entry.max_surface_m2) == (
        structure,
        SpaceKind.OFFICE,
        20,
        60,
    )
    assert list(entry.communes.all()) == [commune]


def test_register_refuses_a_minimum_above_the_maximum(client, member, structure):
    client.force_login(member)

    response = client.post(
        reverse("calls:waiting-create"),
        {
            "structure": structure.pk,
            "kind": SpaceKind.OFFICE,
            "min_surface_m2": "80",
            "max_surface_m2": "20",
        },
    )

    assert response.status_code == 400
    assert not WaitingListEntry.objects.exists()


def test_register_is_404_for_an_unverified_structure(client, structure, member):
    structure.verified_at = None
    structure.verified_by = None
    structure.save()
    client.force_login(member)

    assert client.get(reverse("calls:waiting-create")).status_code == 404


def test_register_is_404_for_outsiders(client, outsider):
    client.force_login(outsider)

    assert client.get(reverse("calls:waiting-create")).status_code == 404


def test_register_cannot_name_another_structure(client, member):
    other = StructureFactory(verified_at=timezone.now(), verified_by=member)
    client.force_login(member)

    response = client.post(
        reverse("calls:waiting-create"), {"structure": other.pk, "kind": SpaceKind.OFFICE}
    )

    assert response.status_code == 400
    assert not WaitingListEntry.objects.exists()


def test_member_closes_a_need(client, member, structure):
    entry = WaitingListEntryFactory(structure=structure)
    client.force_login(member)

    response = client.post(reverse("calls:waiting-close", args=[entry.pk]))

    entry.refresh_from_db()
    assert response.status_code == 302
    assert entry.closed_at is not None


def test_close_is_404_for_outsiders(client, outsider, structure):
    entry = WaitingListEntryFactory(structure=structure)
    client.force_login(outsider)

    response = client.post(reverse("calls:waiting-close", args=[entry.pk]))

    entry.refresh_from_db()
    assert response.status_code == 404
    assert entry.closed_at is None


def test_waiting_list_page_shows_only_the_users_structures(client, member, structure):
    WaitingListEntryFactory(structure=structure, notes="")
    WaitingListEntryFactory(structure=StructureFactory(name="Autre association"))
    client.force_login(member)

    content = client.get(reverse("calls:waiting-list")).content.decode()

    assert "Mobilité Solidaire" in content
    assert "Autre association" not in content


def test_candidates_page_lists_fitting_structures_for_managers(
    client, facilities_manager, office, structure
):
    WaitingListEntryFactory(structure=structure)
    client.force_login(facilities_manager)

    response = client.get(reverse("calls:waiting-candidates"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Bureau 4" in content
    assert "Mobilité Solidaire" in content
    assert "mailto:contact@mobilite.example" in content


def test_candidates_page_is_404_for_those_who_manage_nothing(client, member):
    client.force_login(member)

    assert client.get(reverse("calls:waiting-candidates")).status_code == 404


def test_space_page_shows_candidates_to_its_managers(client, facilities_manager, office, structure):
    WaitingListEntryFactory(structure=structure)
    client.force_login(facilities_manager)

    content = client.get(office.get_absolute_url()).content.decode()

    assert 'id="waiting-candidates"' in content
    assert "Mobilité Solidaire" in content


def test_space_page_hides_candidates_from_the_public(client, office, structure):
    WaitingListEntryFactory(structure=structure)

    content = client.get(office.get_absolute_url()).content.decode()

    assert 'id="waiting-candidates"' not in content
    assert "Mobilité Solidaire" not in content
