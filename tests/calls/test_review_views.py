"""The reviewers' pages: their calls, the declaration of interests, the scoring."""

import pytest
from django.urls import reverse

from calls import services
from calls.models import Score
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def undeclared(call):
    user = UserFactory(email="nouveau-jury@example.test")
    services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    return user


def marks_data(call, *marks: int) -> dict:
    data = {}
    for criterion, mark in zip(call.criteria.all(), marks, strict=True):
        data[f"mark_{criterion.pk}"] = str(mark)
        data[f"comment_{criterion.pk}"] = f"Avis {mark}"
    return data


def test_review_list_shows_the_calls_the_user_reviews(client, call, reviewer):
    client.force_login(reviewer)

    response = client.get(reverse("calls:review-list"))

    assert [a.call for a in response.context["assignments"]] == [call]


def test_review_page_asks_for_a_declaration_first(client, call, application, undeclared):
    client.force_login(undeclared)

    response = client.get(reverse("calls:review-call", args=[call.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("calls:review-declare", args=[call.pk]) in html
    assert application.structure.name in html  # to know whether there is a conflict
    assert reverse("calls:review-application", args=[application.pk]) not in html


def test_review_page_is_404_for_those_not_assigned(client, call, outsider, manager):
    for user in (outsider, manager):
        client.force_login(user)

        assert client.get(reverse("calls:review-call", args=[call.pk])).status_code == 404


def test_declaring_no_conflict_opens_the_scoring(client, call, application, undeclared):
    client.force_login(undeclared)

    client.post(reverse("calls:review-declare", args=[call.pk]), {"conflict_of_interest": "no"})

    response = client.get(reverse("calls:review-call", args=[call.pk]))
    assert response.context["assignment"].may_score is True
    assert reverse("calls:review-application", args=[application.pk]) in (response.content.decode())


def test_declaring_a_conflict_needs_details(client, call, undeclared):
    client.force_login(undeclared)

    response = client.post(
        reverse("calls:review-declare", args=[call.pk]), {"conflict_of_interest": "yes"}
    )

    assert response.status_code == 400
    assert "conflict_note" in response.context["form"].errors


def test_a_conflicted_reviewer_is_told_they_are_excluded(client, call, application, undeclared):
    client.force_login(undeclared)
    client.post(
        reverse("calls:review-declare", args=[call.pk]),
        {"conflict_of_interest": "yes", "conflict_note": "Je préside l'un des candidats."},
    )

    response = client.get(reverse("calls:review-call", args=[call.pk]))

    html = response.content.decode()
    assert "Vous êtes exclu" in html
    assert reverse("calls:review-application", args=[application.pk]) not in html


def test_a_conflicted_reviewer_cannot_reach_the_scoring(client, call, application, undeclared):
    assignment = undeclared.review_assignments.get()
    services.reviewer_declare(
        assignment=assignment, conflict_of_interest=True, note="Salariée", actor=assignment.reviewer
    )
    client.force_login(undeclared)

    response = client.post(
        reverse("calls:review-application", args=[application.pk]), marks_data(call, 10, 10)
    )

    assert response.url == reverse("calls:review-call", args=[call.pk])
    assert not Score.objects.exists()


def test_an_undeclared_reviewer_cannot_score(client, call, application, undeclared):
    client.force_login(undeclared)

    response = client.post(
        reverse("calls:review-application", args=[application.pk]), marks_data(call, 10, 10)
    )

    assert response.status_code == 302
    assert not Score.objects.exists()


def test_scoring_saves_a_mark_and_a_comment_per_criterion(client, call, application, reviewer):
    client.force_login(reviewer)

    response = client.post(
        reverse("calls:review-application", args=[application.pk]), marks_data(call, 8, 6)
    )

    assert response.url == reverse("calls:review-call", args=[call.pk])
    assert sorted(Score.objects.values_list("mark", "comment")) == [(6, "Avis 6"), (8, "Avis 8")]


def test_scoring_page_shows_the_application_and_the_earlier_marks(
    client, call, application, reviewer
):
    client.force_login(reviewer)
    url = reverse("calls:review-application", args=[application.pk])
    client.post(url, marks_data(call, 8, 6))

    response = client.get(url)

    assert response.context["form"].initial[f"mark_{call.criteria.first().pk}"] == 8
    assert application.project in response.content.decode()


def test_scoring_refuses_a_mark_above_10(client, call, application, reviewer):
    client.force_login(reviewer)

    response = client.post(
        reverse("calls:review-application", args=[application.pk]), marks_data(call, 11, 6)
    )

    assert response.status_code == 400
    assert not Score.objects.exists()


def test_scoring_of_another_calls_application_is_404(
    client, application, manager, commune, workshop
):
    from tests.calls.conftest import draft_call

    other = draft_call(actor=manager, owner=commune.organisation, spaces=[workshop], title="Autre")
    services.call_publish(call=other, actor=manager)
    user = UserFactory()
    services.reviewer_declare(
        assignment=services.reviewer_assign(call=other, reviewer=user, actor=other.created_by),
        conflict_of_interest=False,
        actor=user,
    )
    client.force_login(user)

    response = client.get(reverse("calls:review-application", args=[application.pk]))

    assert response.status_code == 404
