"""Fixtures of the bookings tests: verified structures and their members.

The modules that want the frozen clock (`frozen_clock`, tests/conftest.py) say so in `pytestmark`.
It stands on Monday 4 January 2027, 09:00 in Paris, so every slot booked by the tests lies in
the future because of the rules, not because of the day the tests happen to run, and the clock
changes of 28 March and 31 October 2027 are within the space's 365-day horizon.
"""

import pytest

from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory


@pytest.fixture
def other_organisation(db):
    return VerifiedStructureFactory(name="Repair Café du Denaisis")


@pytest.fixture
def other_requester(other_organisation):
    return MembershipFactory(
        organisation=other_organisation, user=UserFactory(email="repair@example.test")
    ).user
