"""Fixtures of the calls tests: a call over two offices, applicants, reviewers.

The modules that want the frozen clock (`frozen_clock`, tests/conftest.py) say so in `pytestmark`.
It stands on Monday 4 January 2027, 09:00 in Paris; calls close on 1 February 2027 at noon.

`commune_staff` (a member of the commune that owns `site`) runs the calls; `applicant` is a
member of a verified association with its statutes and a valid insurance certificate.
"""

from datetime import date

import pytest

from accounts.models import DocumentKind
from calls import services
from calls.models import Call
from spaces.models import SpaceKind
from tests.factories import (
    MembershipFactory,
    OrganisationDocumentFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    paris,
)

DEADLINE = paris(2027, 2, 1, 12)
GRID = [("Utilité sociale", 60, "Publics accueillis."), ("Viabilité économique", 40, "")]


@pytest.fixture
def office(site):
    return SpaceFactory(
        site=site, name="Bureau 12", kind=SpaceKind.OFFICE, allocatable=True, bookable=False
    )


@pytest.fixture
def workshop(site):
    return SpaceFactory(
        site=site, name="Atelier 3", kind=SpaceKind.WORKSHOP, allocatable=True, bookable=False
    )


@pytest.fixture
def manager(commune_staff):
    """Runs the commune's calls (member of the commune that owns `site`)."""
    return commune_staff


def draft_call(*, actor, owner, spaces, deadline=DEADLINE, criteria=GRID, **fields) -> Call:
    return services.call_create(
        actor=actor,
        owner=owner,
        title=fields.get("title", "Bureaux vacants aux Grands Bureaux"),
        presentation="Deux locaux au premier étage, pour trois ans.",
        eligibility="Structures de l'ESS actives sur le territoire.",
        spaces=spaces,
        required_documents=fields.get(
            "required_documents", [DocumentKind.STATUTES, DocumentKind.INSURANCE]
        ),
        deadline=deadline,
        criteria=criteria,
    )


@pytest.fixture
def draft(frozen_clock, manager, commune, office, workshop) -> Call:
    return draft_call(actor=manager, owner=commune.organisation, spaces=[office, workshop])


@pytest.fixture
def call(draft, manager) -> Call:
    services.call_publish(call=draft, actor=manager)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def association(db):
    return VerifiedStructureFactory(name="Ressourcerie du Hainaut", ess_family="association")


@pytest.fixture
def applicant(association):
    return MembershipFactory(
        organisation=association, user=UserFactory(email="candidat@example.test")
    ).user


def documents_of(structure, *, insurance_until=date(2028, 1, 1)) -> list:
    return [
        OrganisationDocumentFactory(organisation=structure, kind=DocumentKind.STATUTES),
        OrganisationDocumentFactory(
            organisation=structure, kind=DocumentKind.INSURANCE, expires_on=insurance_until
        ),
    ]


def complete_draft(*, call, structure, actor, lots=None, **changes):
    """A draft with nothing missing: project, ranked lots, documents, republican commitment."""
    application = services.application_start(call=call, structure=structure, actor=actor)
    values = {
        "project": "Une ressourcerie avec un atelier de réparation ouvert aux habitants.",
        "needed_surface_m2": 40,
        "needed_kind": SpaceKind.OFFICE,
        "wanted_start": date(2027, 4, 1),
        "duration_months": 36,
        "lots_ranked": lots if lots is not None else list(call.lots.all()),
        "documents": documents_of(structure),
        "republican_commitment_signatory": "Camille Martin, présidente",
        **changes,
    }
    return services.application_update(application=application, actor=actor, **values)


def submitted(*, call, structure, actor, lots=None):
    application = complete_draft(call=call, structure=structure, actor=actor, lots=lots)
    services.application_submit(application=application, actor=actor)
    application.refresh_from_db()
    return application


@pytest.fixture
def application(call, association, applicant):
    """A submitted application of `association`, ranking the office then the workshop."""
    return submitted(call=call, structure=association, actor=applicant)


def member_of_new_structure(name: str, email: str, **fields):
    structure = VerifiedStructureFactory(name=name, **fields)
    user = MembershipFactory(organisation=structure, user=UserFactory(email=email)).user
    return structure, user


@pytest.fixture
def reviewer(call):
    """Assigned to `call`, declared no conflict of interest."""
    user = UserFactory(email="jury@example.test")
    assignment = services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    services.reviewer_declare(
        assignment=assignment, conflict_of_interest=False, actor=assignment.reviewer
    )
    return user
