"""Which spaces a site closure closes: bookable ones, not offices held under an agreement."""

from datetime import date

import pytest

from bookings.allocations import allocation_accept, allocation_offer, allocation_sign
from bookings.models import Occupancy, OccupancyKind
from bookings.rules import Period
from bookings.services import closure_create
from tests.factories import MembershipFactory, SpaceFactory, VerifiedStructureFactory, paris


@pytest.mark.django_db
def test_site_closure_leaves_out_spaces_not_bookable_by_the_hour(territory_admin, site, space):
    office = SpaceFactory(
        site=site, name="Bureau 12", kind="office", bookable=False, allocatable=True
    )

    closure = closure_create(
        actor=territory_admin,
        site=site,
        period=Period(paris(2027, 8, 1), paris(2027, 8, 22)),
        reason="Été",
    )

    assert set(closure.occupancies.values_list("space_id", flat=True)) == {space.pk}
    assert not office.occupancies.exists()


@pytest.mark.django_db
def test_site_closure_leaves_out_a_space_held_under_an_agreement(
    territory_admin, commune_staff, site, space
):
    space.allocatable = True
    space.save()
    structure = VerifiedStructureFactory(verified_by=territory_admin)
    agreement = allocation_offer(  # the commune owns the site: its staff commits it
        actor=commune_staff,
        structure=structure,
        spaces=[space],
        start=date(2027, 1, 1),
        end=date(2028, 1, 1),
        annual_fee_cents=100_000,
        direct_reason="Seul occupant possible",
    )
    allocation_accept(
        allocation=agreement,
        actor=MembershipFactory(organisation=structure).user,
        house_rules_accepted=True,
        insurance_valid_until=date(2028, 1, 1),
    )
    allocation_sign(allocation=agreement, actor=commune_staff, today=date(2026, 12, 1))
    other = SpaceFactory(site=site, name="Salle libre")

    closure = closure_create(
        actor=territory_admin,
        site=site,
        period=Period(paris(2027, 8, 1), paris(2027, 8, 22)),
        reason="Été",
    )

    assert list(closure.occupancies.values_list("space_id", flat=True)) == [other.pk]
    assert (
        Occupancy.objects.filter(space=space, kind=OccupancyKind.ALLOCATION, active=True).count()
        == 1
    )
