"""Fixtures of the bookings tests: a frozen clock, verified structures and their members.

Not autouse: the modules that want the clock say so (`pytestmark`). The clock stands on Monday 4 January 2027, 09:00 in Paris, so every slot booked by the tests
lies in the future because of the rules, not because of the day the tests happen to run, and
the clock changes of 28 March and 31 October 2027 are within the space's 365-day horizon.
"""

import pytest
import time_machine

from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory, paris

NOW = paris(2027, 1, 4, 9)


@pytest.fixture
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def organisation(db):
    return VerifiedStructureFactory(name="Les Amis du Vélo")


@pytest.fixture
def requester(organisation):
    return MembershipFactory(
        organisation=organisation, user=UserFactory(email="asso@example.test")
    ).user


@pytest.fixture
def other_organisation(db):
    return VerifiedStructureFactory(name="Repair Café du Denaisis")


@pytest.fixture
def other_requester(other_organisation):
    return MembershipFactory(
        organisation=other_organisation, user=UserFactory(email="repair@example.test")
    ).user
