"""Issue 9 §5 for calls: whoever runs a call does not decide on an application of a structure
they belong to; a colleague who does not belong to it decides."""

import pytest

from accounts.exceptions import ConflictOfInterest
from accounts.models import MembershipRole
from calls import services
from calls.models import ApplicationStatus
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def conflicted_manager(manager, association):
    MembershipFactory(organisation=association, user=manager, role=MembershipRole.MEMBER)
    return manager


@pytest.fixture
def colleague(commune):
    return MembershipFactory(
        organisation=commune.organisation, user=UserFactory(email="collegue@example.test")
    ).user


def _office_lot(call):
    return call.lots.get(space__name="Bureau 12")


def test_accepting_an_application_of_ones_own_structure_is_refused(application, conflicted_manager):
    with pytest.raises(ConflictOfInterest):
        services.application_accept(
            application=application, actor=conflicted_manager, lot=_office_lot(application.call)
        )

    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_refusing_an_application_of_ones_own_structure_is_refused(application, conflicted_manager):
    with pytest.raises(ConflictOfInterest):
        services.application_refuse(
            application=application, actor=conflicted_manager, reason="Projet trop éloigné"
        )


def test_a_colleague_not_member_of_the_structure_accepts_the_application(
    application, conflicted_manager, colleague
):
    changed = services.application_accept(
        application=application, actor=colleague, lot=_office_lot(application.call)
    )

    assert changed is True
