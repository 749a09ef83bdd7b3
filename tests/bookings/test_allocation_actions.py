"""`allocation_actions_for`: what each person may do to an agreement now, from the same rules
table the services check (bookings/allocations/actions.py)."""

from datetime import date

import pytest

from accounts.actors import PLATFORM
from bookings.allocations import (
    AllocationAction,
    allocation_accept,
    allocation_actions_for,
    allocation_offer,
    allocation_sign,
)
from bookings.models import FreeUseBasis

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

A = AllocationAction


@pytest.fixture
def offered(facilities_manager, verified, office):
    return allocation_offer(
        actor=facilities_manager,
        structure=verified,
        spaces=[office],
        start=date(2027, 1, 1),
        end=date(2028, 1, 1),
        free_use_basis=FreeUseBasis.L2125_1,
        direct_reason="Un seul occupant possible",
    )


def _accept(allocation, occupant):
    allocation_accept(
        allocation=allocation,
        actor=occupant,
        house_rules_accepted=True,
        insurance_valid_until=date(2027, 12, 31),
    )
    allocation.refresh_from_db()


def test_the_structure_may_answer_an_offer_and_the_manager_may_not(
    offered, occupant, facilities_manager
):
    assert allocation_actions_for(user=occupant, allocation=offered).allowed == {
        A.ACCEPT,
        A.DECLINE,
    }
    assert allocation_actions_for(user=facilities_manager, allocation=offered).allowed == set()


def test_once_accepted_the_delegated_manager_may_sign(offered, occupant, facilities_manager):
    _accept(offered, occupant)

    assert allocation_actions_for(user=facilities_manager, allocation=offered).allowed == {A.SIGN}
    assert allocation_actions_for(user=occupant, allocation=offered).allowed == {A.DECLINE}


def test_an_active_agreement_is_followed_by_its_manager(offered, occupant, facilities_manager):
    _accept(offered, occupant)
    allocation_sign(allocation=offered, actor=facilities_manager)
    offered.refresh_from_db()

    actions = allocation_actions_for(user=facilities_manager, allocation=offered)

    assert actions.allowed == {A.END, A.RENEW, A.KEY_ISSUE, A.KEY_RETURN, A.INVENTORY}
    assert actions.inventory_kinds == ("entry", "exit")


def test_a_manager_without_the_owners_delegation_follows_but_does_not_commit(
    offered, occupant, facilities_manager, site
):
    _accept(offered, occupant)
    allocation_sign(allocation=offered, actor=facilities_manager)
    offered.refresh_from_db()
    site.managers.through.objects.filter(user=facilities_manager).update(may_commit_owner=False)

    actions = allocation_actions_for(user=facilities_manager, allocation=offered)

    assert actions.allowed == {A.KEY_ISSUE, A.KEY_RETURN, A.INVENTORY}


def test_outsiders_and_the_platform_may_do_nothing(offered, outsider):
    assert allocation_actions_for(user=outsider, allocation=offered).allowed == set()
    assert allocation_actions_for(user=PLATFORM, allocation=offered).allowed == set()
