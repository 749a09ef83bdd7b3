"""Every decision on a call is traceable: publishing, closing and deciding write a CallLog with
the actor (none for the deadline job); criteria, scores and declarations keep their history."""

from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from calls import services
from calls.exceptions import CallInvalidTransition
from calls.models import CallLog, CallStatus, Criterion, ReviewerAssignment, Score
from tests.calls.conftest import DEADLINE
from tests.calls.test_manage_views import criteria_data
from tests.calls.test_review_views import marks_data

pytestmark = pytest.mark.usefixtures("frozen_clock")


def log_of(call) -> list[tuple]:
    return list(
        CallLog.objects.filter(call=call)
        .order_by("pk")
        .values_list("from_status", "to_status", "actor", "reason")
    )


def test_publishing_closing_and_deciding_through_the_pages_log_each_step_with_its_actor(
    client, draft, manager
):
    client.force_login(manager)
    client.post(reverse("calls:call-publish", args=[draft.pk]))
    client.post(reverse("calls:call-close", args=[draft.pk]), {"confirm": "yes"})

    client.post(
        reverse("calls:call-decide", args=[draft.pk]),
        {"deliberation_reference": "DEL-2027-12", "deliberation_date": "2027-02-15"},
    )

    assert log_of(draft) == [
        (CallStatus.DRAFT, CallStatus.PUBLISHED, manager.pk, ""),
        (CallStatus.PUBLISHED, CallStatus.CLOSED, manager.pk, ""),
        (CallStatus.CLOSED, CallStatus.DECIDED, manager.pk, "DEL-2027-12 (2027-02-15)"),
    ]


def test_the_deadline_job_logs_the_closing_without_a_person(call, manager):
    with time_machine.travel(DEADLINE, tick=False):
        call_command("close_calls")

    assert log_of(call)[-1] == (CallStatus.PUBLISHED, CallStatus.CLOSED, None, "")


def test_a_repeated_decision_neither_logs_again_nor_overwrites_the_deliberation(call, manager):
    services.call_close(call=call, actor=manager)
    services.call_decide(call=call, actor=manager, reference="DEL-12", decided_on=date(2027, 2, 15))

    changed = services.call_decide(
        call=call, actor=manager, reference="DEL-99", decided_on=date(2027, 3, 1)
    )

    call.refresh_from_db()
    assert changed is False
    assert (call.deliberation_reference, call.deliberation_date) == ("DEL-12", date(2027, 2, 15))
    assert CallLog.objects.filter(call=call, to_status=CallStatus.DECIDED).count() == 1


def test_a_refused_step_logs_nothing(draft, manager):
    with pytest.raises(CallInvalidTransition):
        services.call_close(call=draft, actor=manager)

    assert log_of(draft) == []


def test_a_score_changed_on_the_review_page_keeps_the_previous_mark(
    client, call, application, reviewer
):
    client.force_login(reviewer)
    page = reverse("calls:review-application", args=[application.pk])
    client.post(page, marks_data(call, 8, 6))

    client.post(page, marks_data(call, 3, 6))

    first = call.criteria.first()
    score = Score.objects.get(application=application, criterion=first, reviewer=reviewer)
    versions = list(score.history.order_by("history_id").values_list("mark", "history_user"))
    assert score.mark == 3
    assert versions[0] == (8, reviewer.pk)
    assert versions[-1] == (3, reviewer.pk)


def test_a_score_changed_through_the_api_keeps_the_previous_mark(
    client, call, application, reviewer
):
    client.force_login(reviewer)
    criterion = call.criteria.first()
    for mark in (9, 4):
        response = client.post(
            reverse("api:application-scores", args=[application.pk]),
            {"scores": [{"criterion": criterion.pk, "mark": mark, "comment": ""}]},
            content_type="application/json",
        )
        assert response.status_code == 200

    score = Score.objects.get(application=application, criterion=criterion)
    marks = list(score.history.order_by("history_id").values_list("mark", "history_user"))
    assert marks == [(9, reviewer.pk), (4, reviewer.pk)]


def test_a_score_recorded_by_a_service_outside_a_request_is_signed_by_the_reviewer(
    call, application, reviewer
):
    criterion = call.criteria.first()

    services.score_record(application=application, reviewer=reviewer, criterion=criterion, mark=7)

    score = Score.objects.get(application=application, criterion=criterion)
    assert score.history.get().history_user == reviewer


def test_criteria_removed_and_added_on_the_criteria_page_stay_in_the_history(
    client, draft, manager
):
    removed = draft.criteria.get(name="Viabilité économique")
    client.force_login(manager)

    response = client.post(
        reverse("calls:call-criteria", args=[draft.pk]), criteria_data(("Emploi", 100, "ETP"))
    )

    assert response.status_code == 302
    deleted = Criterion.history.get(id=removed.pk, history_type="-")
    assert (deleted.name, deleted.weight, deleted.history_user) == (
        "Viabilité économique",
        40,
        manager,
    )
    assert Criterion.history.filter(name="Emploi", history_type="+", history_user=manager).exists()


def test_a_declaration_of_interests_is_kept_with_its_author(call, reviewer):
    assignment = ReviewerAssignment.objects.get(call=call, reviewer=reviewer)

    services.reviewer_declare(
        assignment=assignment,
        conflict_of_interest=True,
        note="Adhérente",
        actor=assignment.reviewer,
    )

    versions = list(
        assignment.history.order_by("history_id").values_list(
            "conflict_of_interest", "history_user"
        )
    )
    assert versions[-2:] == [(False, reviewer.pk), (True, reviewer.pk)]
