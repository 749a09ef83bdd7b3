"""The documents attached to an application, opened by the call's managers and reviewers."""

import pytest
from django.urls import reverse

from calls import services
from calls.selectors import application_documents_visible_to
from tests.calls.conftest import complete_draft, draft_call, member_of_new_structure
from tests.factories import OrganisationDocumentFactory, SpaceFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


def document_url(application, document) -> str:
    return reverse("calls:application-document", args=[application.pk, document.pk])


def file_bytes(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def statutes(application):
    return application.documents.get(kind="statutes")


@pytest.fixture
def other_call_reviewer(manager, commune, site):
    """Assigned to another call of the same commune, declared no conflict of interest."""
    other = draft_call(
        actor=manager,
        owner=commune.organisation,
        spaces=[SpaceFactory(site=site, name="Bureau 14", allocatable=True, bookable=False)],
        title="Autre appel",
    )
    services.call_publish(call=other, actor=manager)
    user = UserFactory(email="autre-jury@example.test")
    assignment = services.reviewer_assign(call=other, reviewer=user, actor=other.created_by)
    services.reviewer_declare(
        assignment=assignment, conflict_of_interest=False, actor=assignment.reviewer
    )
    return user


@pytest.fixture
def draft_application(call):
    structure, user = member_of_new_structure(
        "Atelier Vélo Solidaire", "velo@example.test", ess_family="association"
    )
    return complete_draft(call=call, structure=structure, actor=user)


@pytest.mark.parametrize("persona", ["reviewer", "manager"])
def test_application_document_serves_the_file_to_the_calls_reviewer_and_manager(
    request, client, application, statutes, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(document_url(application, statutes))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == file_bytes(statutes)


def test_application_document_is_an_attachment_named_after_the_file(
    client, manager, application, statutes
):
    client.force_login(manager)

    response = client.get(document_url(application, statutes))

    response.close()  # the file stays open until the response is read or closed
    filename = statutes.file.name.rsplit("/", 1)[-1]
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Cache-Control"] == "private, no-store"


def test_application_document_serves_the_file_to_the_intercommunality(
    client, territory_admin, application, statutes
):
    client.force_login(territory_admin)

    response = client.get(document_url(application, statutes))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == file_bytes(statutes)


def test_application_document_serves_the_file_once_the_application_is_decided(
    client, manager, application, statutes
):
    services.application_refuse(application=application, actor=manager, reason="Hors périmètre.")
    client.force_login(manager)

    response = client.get(document_url(application, statutes))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == file_bytes(statutes)


@pytest.mark.parametrize("persona", ["outsider", "other_call_reviewer", "other_commune_staff"])
def test_application_document_is_404_for_those_who_neither_run_nor_review_the_call(
    request, client, application, statutes, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(document_url(application, statutes))

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["reviewer", "manager", "territory_admin", "outsider"])
def test_application_document_of_a_draft_is_404_for_all_but_the_applicant(
    request, client, draft_application, persona
):
    document = draft_application.documents.first()
    client.force_login(request.getfixturevalue(persona))

    response = client.get(document_url(draft_application, document))

    assert response.status_code == 404


def test_application_document_of_a_draft_is_served_to_the_applicant(client, draft_application):
    document = draft_application.documents.first()
    client.force_login(draft_application.submitted_by)

    response = client.get(document_url(draft_application, document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == file_bytes(document)


def test_application_document_of_a_withdrawn_application_is_404_for_the_manager(
    client, manager, applicant, application, statutes
):
    services.application_withdraw(application=application, actor=applicant)
    client.force_login(manager)

    response = client.get(document_url(application, statutes))

    assert response.status_code == 404


def test_application_document_is_404_for_a_reviewer_who_declared_a_conflict(
    client, call, application, statutes
):
    user = UserFactory(email="conflit@example.test")
    assignment = services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    services.reviewer_declare(
        assignment=assignment,
        conflict_of_interest=True,
        note="Adhérent.",
        actor=assignment.reviewer,
    )
    client.force_login(user)

    response = client.get(document_url(application, statutes))

    assert response.status_code == 404


def test_application_document_of_another_organisation_is_404(client, manager, application):
    elsewhere = OrganisationDocumentFactory()
    client.force_login(manager)

    response = client.get(document_url(application, elsewhere))

    assert response.status_code == 404


def test_application_document_not_attached_to_the_application_is_404(
    client, manager, application, association
):
    unattached = OrganisationDocumentFactory(organisation=association)
    client.force_login(manager)

    response = client.get(document_url(application, unattached))

    assert response.status_code == 404


def test_application_document_sends_an_anonymous_visitor_to_login(client, application, statutes):
    response = client.get(document_url(application, statutes))

    assert response.status_code == 302


def test_application_documents_visible_to_ignores_another_organisations_attached_document(
    manager, application
):
    # The form offers only the applicant's documents; the database alone would allow more.
    intruder = OrganisationDocumentFactory()
    application.documents.add(intruder)

    visible = application_documents_visible_to(manager, application_pk=application.pk)

    assert set(visible) == set(application.documents.exclude(pk=intruder.pk))


def test_review_page_links_the_documents_to_the_calls_download(
    client, reviewer, application, statutes
):
    client.force_login(reviewer)

    response = client.get(reverse("calls:review-application", args=[application.pk]))

    assert document_url(application, statutes) in response.content.decode()
