"""Calls API: /api/v1/calls/, /api/v1/applications/ and their actions (201/400/404/409)."""

# The fixtures of tests/calls are imported below; pytest passes them by name as arguments, which
# pyflakes reads as redefinitions.
# ruff: noqa: F811

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from calls import services
from calls.models import Application, ApplicationStatus, ReviewerAssignment, Score
from tests.calls.conftest import (  # the calls fixtures, shared with tests/calls
    applicant,  # noqa: F401
    application,  # noqa: F401
    association,  # noqa: F401
    call,  # noqa: F401
    complete_draft,
    documents_of,
    draft,  # noqa: F401
    draft_call,
    manager,  # noqa: F401
    member_of_new_structure,
    office,  # noqa: F401
    reviewer,  # noqa: F401
    submitted,
    workshop,  # noqa: F401
)
from tests.factories import OrganisationDocumentFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")

CALLS = reverse("api:call-list")
APPLICATIONS = reverse("api:application-list")


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Error messages are compared in English, the language of the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def url(name: str, pk: int) -> str:
    return reverse(f"api:{name}", args=[pk])


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def create_body(call, structure, documents=(), **extra) -> dict:
    return {
        "call": call.pk,
        "structure": structure.pk,
        "project": "Ressourcerie et atelier de réparation.",
        "needed_surface_m2": 40,
        "needed_kind": "office",
        "wanted_start": "2027-04-01",
        "duration_months": 36,
        "lots": [lot.pk for lot in call.lots.all()],
        "documents": [document.pk for document in documents],
        "republican_commitment_signatory": "Camille Martin, présidente",
        **extra,
    }


# --- Calls -----------------------------------------------------------------------------------


def test_call_list_gives_the_public_the_published_calls_only(
    client, call, manager, commune, workshop
):
    draft_call(actor=manager, owner=commune.organisation, spaces=[workshop], title="Brouillon")

    response = client.get(CALLS)

    assert response.status_code == 200
    assert ids(response) == [call.pk]


def test_call_list_gives_managers_their_drafts_too(client, call, manager, commune, workshop):
    draft = draft_call(actor=manager, owner=commune.organisation, spaces=[workshop], title="B")
    client.force_login(manager)

    assert set(ids(client.get(CALLS))) == {call.pk, draft.pk}


def test_call_detail_gives_the_lots_and_the_published_grid(client, call, office):
    response = client.get(url("call-detail", call.pk))

    body = response.json()
    assert body["status"] == "published"
    assert body["criteria"] == [
        {"name": "Utilité sociale", "weight": 60, "description": "Publics accueillis."},
        {"name": "Viabilité économique", "weight": 40, "description": ""},
    ]
    assert body["lots"][0]["space"] == office.pk
    assert body["required_documents"] == ["statutes", "insurance"]


def test_call_detail_of_a_draft_is_404_for_the_public(client, draft):
    assert client.get(url("call-detail", draft.pk)).status_code == 404


def test_call_ranking_is_for_the_calls_managers(client, call, application, reviewer, manager):
    for criterion in call.criteria.all():
        services.score_record(
            application=application, reviewer=reviewer, criterion=criterion, mark=5
        )
    client.force_login(reviewer)
    assert client.get(url("call-ranking", call.pk)).status_code == 404
    client.force_login(manager)

    response = client.get(url("call-ranking", call.pk))

    assert response.status_code == 200
    first_lot = response.json()[0]
    assert first_lot["rows"] == [
        {
            "application": application.pk,
            "structure": "Ressourcerie du Hainaut",
            "status": "submitted",
            "total": 50.0,
            "rank": 1,
            "tied": False,
            "preference": 1,
        }
    ]


# --- Applications: create, read, update, submit, withdraw ------------------------------------


def test_application_create_returns_201_with_a_draft_and_what_is_missing(
    client, call, association, applicant
):
    client.force_login(applicant)

    response = client.post(
        APPLICATIONS, create_body(call, association), content_type="application/json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["lots"] == [lot.pk for lot in call.lots.all()]
    assert body["missing_items"] == [
        "Attach this document: Statutes.",
        "Attach this document: Insurance certificate.",
    ]


def test_application_create_with_documents_misses_nothing(client, call, association, applicant):
    client.force_login(applicant)

    response = client.post(
        APPLICATIONS,
        create_body(call, association, documents=documents_of(association)),
        content_type="application/json",
    )

    assert response.json()["missing_items"] == []


def test_application_create_refuses_another_structure(client, call, applicant):
    other, _user = member_of_new_structure("Atelier vélo", "velo@example.test")
    client.force_login(applicant)

    response = client.post(APPLICATIONS, create_body(call, other), content_type="application/json")

    assert response.status_code == 400
    assert "structure" in response.json()
    assert not Application.objects.exists()


def test_application_create_refuses_another_structures_document(
    client, call, association, applicant
):
    client.force_login(applicant)

    response = client.post(
        APPLICATIONS,
        create_body(call, association, documents=[OrganisationDocumentFactory()]),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "documents" in response.json()
    assert not Application.objects.exists()


def test_application_create_refuses_a_second_application(client, call, association, applicant):
    client.force_login(applicant)
    client.post(APPLICATIONS, create_body(call, association), content_type="application/json")

    response = client.post(
        APPLICATIONS, create_body(call, association), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Your structure has already applied to this call."]
    }


def test_application_create_refuses_a_draft_call(client, draft, association, applicant):
    client.force_login(applicant)

    response = client.post(
        APPLICATIONS, create_body(draft, association), content_type="application/json"
    )

    assert response.status_code == 400
    assert "call" in response.json()


def test_application_create_needs_a_signed_in_user(client, call, association):
    response = client.post(
        APPLICATIONS, create_body(call, association), content_type="application/json"
    )

    assert response.status_code == 403


def test_application_list_gives_applicants_their_own_only(client, call, application, applicant):
    other, user = member_of_new_structure("Atelier vélo", "velo@example.test")
    submitted(call=call, structure=other, actor=user)
    client.force_login(applicant)

    assert ids(client.get(APPLICATIONS)) == [application.pk]


def test_application_list_gives_managers_the_submitted_applications_of_their_calls(
    client, call, application, manager
):
    other, user = member_of_new_structure("Atelier vélo", "velo@example.test")
    services.application_start(call=call, structure=other, actor=user)  # a draft
    client.force_login(manager)

    assert ids(client.get(APPLICATIONS, {"call": call.pk})) == [application.pk]


def test_application_detail_is_404_for_outsiders(client, application, outsider):
    client.force_login(outsider)

    assert client.get(url("application-detail", application.pk)).status_code == 404


def test_application_detail_is_404_for_reviewers_of_other_calls(
    client, application, manager, commune, workshop
):
    other = draft_call(actor=manager, owner=commune.organisation, spaces=[workshop], title="B")
    services.call_publish(call=other, actor=manager)
    user = UserFactory()
    services.reviewer_declare(
        assignment=services.reviewer_assign(call=other, reviewer=user, actor=other.created_by),
        conflict_of_interest=False,
        actor=user,
    )
    client.force_login(user)

    assert client.get(url("application-detail", application.pk)).status_code == 404


def test_application_update_replaces_the_draft(client, call, association, applicant):
    draft = services.application_start(call=call, structure=association, actor=applicant)
    client.force_login(applicant)
    body = create_body(call, association, project="Projet complet")
    body["lots"] = list(reversed(body["lots"]))

    response = client.put(
        url("application-detail", draft.pk), body, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["project"] == "Projet complet"
    assert response.json()["lots"] == body["lots"]


def test_application_update_of_a_submitted_application_is_400(client, application, applicant):
    client.force_login(applicant)

    response = client.put(
        url("application-detail", application.pk),
        create_body(application.call, application.structure),
        content_type="application/json",
    )

    assert response.status_code == 400


def test_application_update_is_404_for_the_manager(client, application, manager):
    client.force_login(manager)

    response = client.put(
        url("application-detail", application.pk),
        create_body(application.call, application.structure),
        content_type="application/json",
    )

    assert response.status_code == 404


def test_application_submit_returns_the_submitted_application(client, call, association, applicant):
    draft = complete_draft(call=call, structure=association, actor=applicant)
    client.force_login(applicant)

    response = client.post(url("application-submit", draft.pk))

    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_application_submit_lists_what_is_missing_in_a_400(client, call, association, applicant):
    draft = services.application_start(call=call, structure=association, actor=applicant)
    client.force_login(applicant)

    response = client.post(url("application-submit", draft.pk))

    assert response.status_code == 400
    assert "Describe your project." in response.json()["non_field_errors"]


def test_application_submit_of_a_withdrawn_application_is_409(client, call, association, applicant):
    draft = complete_draft(call=call, structure=association, actor=applicant)
    services.application_withdraw(application=draft, actor=applicant)
    client.force_login(applicant)

    response = client.post(url("application-submit", draft.pk))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This application is “Withdrawn”: that change is not possible.",
        "status": "withdrawn",
    }


def test_application_withdraw_withdraws(client, application, applicant):
    client.force_login(applicant)

    response = client.post(
        url("application-withdraw", application.pk),
        {"reason": "Locaux trouvés"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_application_withdraw_after_acceptance_is_409(client, application, applicant, manager):
    services.application_accept(
        application=application, actor=manager, lot=application.call.lots.first()
    )
    client.force_login(applicant)

    assert client.post(url("application-withdraw", application.pk)).status_code == 409


def test_application_withdraw_is_404_for_the_manager(client, application, manager):
    client.force_login(manager)

    assert client.post(url("application-withdraw", application.pk)).status_code == 404


# --- Decisions -------------------------------------------------------------------------------


def test_accept_gives_the_lot(client, application, manager):
    lot = application.call.lots.last()
    client.force_login(manager)

    response = client.post(
        url("application-accept", application.pk), {"lot": lot.pk}, content_type="application/json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["allocated_lot"]) == ("accepted", lot.pk)


def test_accept_refuses_a_lot_of_another_call(client, application, manager, commune, workshop):
    other = draft_call(actor=manager, owner=commune.organisation, spaces=[workshop], title="B")
    client.force_login(manager)

    response = client.post(
        url("application-accept", application.pk),
        {"lot": other.lots.get().pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "lot" in response.json()


def test_accept_twice_for_one_lot_is_400(client, call, application, manager):
    other_structure, other_user = member_of_new_structure("Repair Café", "repair@example.test")
    other = submitted(call=call, structure=other_structure, actor=other_user)
    lot = call.lots.first()
    services.application_accept(application=application, actor=manager, lot=lot)
    client.force_login(manager)

    response = client.post(
        url("application-accept", other.pk), {"lot": lot.pk}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"lot": ["This lot was already given to another applicant."]}


def test_accept_of_a_refused_application_is_409(client, application, manager):
    services.application_refuse(application=application, actor=manager, reason="Non")
    client.force_login(manager)

    response = client.post(
        url("application-accept", application.pk),
        {"lot": application.call.lots.first().pk},
        content_type="application/json",
    )

    assert response.status_code == 409


def test_accept_is_404_for_reviewers_and_applicants(client, application, reviewer, applicant):
    for user in (reviewer, applicant):
        client.force_login(user)

        response = client.post(
            url("application-accept", application.pk),
            {"lot": application.call.lots.first().pk},
            content_type="application/json",
        )

        assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_refuse_needs_reasons(client, application, manager):
    client.force_login(manager)

    response = client.post(
        url("application-refuse", application.pk), {}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()


def test_refuse_records_the_reasons(client, application, manager):
    client.force_login(manager)

    response = client.post(
        url("application-refuse", application.pk),
        {"reason": "Hors du territoire."},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_reason"]) == (
        "refused",
        "Hors du territoire.",
    )


# --- Reviews ---------------------------------------------------------------------------------


def marks(call, *values: int) -> dict:
    return {
        "scores": [
            {"criterion": criterion.pk, "mark": value, "comment": f"Avis {value}"}
            for criterion, value in zip(call.criteria.all(), values, strict=True)
        ]
    }


def test_reviewer_declares_no_conflict_then_scores(client, call, application):
    user = UserFactory()
    services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    client.force_login(user)

    declared = client.post(
        url("call-declaration", call.pk),
        {"conflict_of_interest": False},
        content_type="application/json",
    )
    scored = client.post(
        url("application-scores", application.pk),
        marks(call, 7, 9),
        content_type="application/json",
    )

    assert declared.status_code == 200
    assert declared.json()["may_score"] is True
    assert scored.status_code == 200
    assert sorted(row["mark"] for row in scored.json()) == [7, 9]


def test_undeclared_reviewer_cannot_score(client, call, application):
    user = UserFactory()
    services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    client.force_login(user)

    response = client.post(
        url("application-scores", application.pk),
        marks(call, 7, 9),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not Score.objects.exists()


def test_conflicted_reviewer_cannot_score(client, call, application):
    user = UserFactory()
    services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    client.force_login(user)
    client.post(
        url("call-declaration", call.pk),
        {"conflict_of_interest": True, "note": "Trésorière d'un candidat"},
        content_type="application/json",
    )

    response = client.post(
        url("application-scores", application.pk),
        marks(call, 7, 9),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert ReviewerAssignment.objects.get(reviewer=user).conflict_of_interest is True
    assert not Score.objects.exists()


def test_declaring_a_conflict_without_details_is_400(client, call):
    user = UserFactory()
    services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    client.force_login(user)

    response = client.post(
        url("call-declaration", call.pk),
        {"conflict_of_interest": True},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "conflict_note" in response.json()


def test_declaration_is_404_for_those_not_assigned(client, call, outsider):
    client.force_login(outsider)

    response = client.post(
        url("call-declaration", call.pk),
        {"conflict_of_interest": False},
        content_type="application/json",
    )

    assert response.status_code == 404


def test_scores_are_404_for_those_not_assigned(client, call, application, manager):
    client.force_login(manager)

    response = client.post(
        url("application-scores", application.pk),
        marks(call, 7, 9),
        content_type="application/json",
    )

    assert response.status_code == 404


def test_scores_refuse_a_criterion_of_another_call(client, call, application, reviewer):
    client.force_login(reviewer)

    response = client.post(
        url("application-scores", application.pk),
        {"scores": [{"criterion": 999_999, "mark": 5}]},
        content_type="application/json",
    )

    assert response.status_code == 400


def test_scores_refuse_a_mark_above_10(client, call, application, reviewer):
    client.force_login(reviewer)

    response = client.post(
        url("application-scores", application.pk),
        marks(call, 11, 9),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not Score.objects.exists()


def test_full_journey_through_the_api(client, call, association, applicant, manager, reviewer):
    client.force_login(applicant)
    created = client.post(
        APPLICATIONS,
        create_body(call, association, documents=documents_of(association)),
        content_type="application/json",
    ).json()
    assert client.post(url("application-submit", created["id"])).status_code == 200
    client.force_login(reviewer)
    client.post(
        url("application-scores", created["id"]), marks(call, 8, 6), content_type="application/json"
    )
    client.force_login(manager)

    ranking = client.get(url("call-ranking", call.pk)).json()
    accepted = client.post(
        url("application-accept", created["id"]),
        {"lot": ranking[0]["lot"]["id"]},
        content_type="application/json",
    )

    assert ranking[0]["rows"][0]["total"] == 72.0
    assert accepted.json()["status"] == "accepted"
    assert services.call_close(call=call, actor=manager) is True
    assert services.call_decide(
        call=call, actor=manager, reference="2027-3", decided_on=date(2027, 2, 15)
    )
