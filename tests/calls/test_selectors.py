"""Reads of calls: the ranking (weighted totals, ties, conflicts of interest) and permissions."""

from fractions import Fraction

import pytest
from django.contrib.auth.models import AnonymousUser

from calls import rules, services
from calls.models import ApplicationStatus
from calls.selectors import (
    application_scores,
    applications_decidable_by,
    applications_visible_to,
    call_ranking,
    calls_listed,
    calls_manageable_by,
    calls_offering,
    calls_reviewable_by,
    calls_visible_to,
)
from tests.calls.conftest import complete_draft, draft_call, member_of_new_structure, submitted
from tests.factories import SpaceFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


def score(application, reviewer, *marks: int) -> None:
    """Marks in the order of the call's criteria (60 then 40 in the test grid)."""
    for criterion, mark in zip(application.call.criteria.all(), marks, strict=True):
        services.score_record(
            application=application, reviewer=reviewer, criterion=criterion, mark=mark
        )


def new_reviewer(call, email: str):
    user = UserFactory(email=email)
    assignment = services.reviewer_assign(call=call, reviewer=user, actor=call.created_by)
    services.reviewer_declare(
        assignment=assignment, conflict_of_interest=False, actor=assignment.reviewer
    )
    return user


def rows_of_lot(call, position: int = 1) -> list[tuple[str, Fraction | None, int | None, bool]]:
    lot = next(entry for entry in call_ranking(call) if entry["lot"].position == position)
    return [
        (row["application"].structure.name, row["total"], row["rank"], row["tied"])
        for row in lot["rows"]
    ]


def applicants(call, count: int) -> list:
    result = []
    for index in range(count):
        structure, user = member_of_new_structure(f"Structure {index}", f"s{index}@example.test")
        result.append(submitted(call=call, structure=structure, actor=user))
    return result


# --- Scoring arithmetic and ties -------------------------------------------------------------


def test_weighted_total_is_the_weight_times_the_mean_mark_over_ten():
    total = rules.weighted_total(weights={1: 60, 2: 40}, marks={1: [8, 10], 2: [6, 4]})

    assert total == Fraction(60 * 9, 10) + Fraction(40 * 5, 10) == 74


def test_weighted_total_is_exact_with_thirds():
    total = rules.weighted_total(weights={1: 10}, marks={1: [1, 1, 2]})

    assert total == Fraction(4, 3)


def test_weighted_total_waits_for_every_criterion():
    assert rules.weighted_total(weights={1: 60, 2: 40}, marks={1: [8]}) is None


def test_rank_gives_equal_totals_the_same_rank_and_skips_the_next():
    ranked = rules.rank(
        [(1, Fraction(80)), (2, Fraction(70)), (3, Fraction(70)), (4, 50), (5, None)]
    )

    assert [(r.key, r.rank, r.tied) for r in ranked] == [
        (1, 1, False),
        (2, 2, True),
        (3, 2, True),
        (4, 4, False),
        (5, None, False),
    ]


def test_ranking_totals_the_marks_of_two_reviewers_with_weights_60_and_40(call, application):
    first, second = new_reviewer(call, "a@example.test"), new_reviewer(call, "b@example.test")
    score(application, first, 8, 6)
    score(application, second, 10, 4)

    assert rows_of_lot(call) == [("Ressourcerie du Hainaut", Fraction(74), 1, False)]


def test_ranking_flags_ties_and_ranks_1_2_2_4(call, reviewer):
    best, tied_a, tied_b, last = applicants(call, 4)
    score(best, reviewer, 10, 5)  # 60 + 20 = 80
    score(tied_a, reviewer, 5, 10)  # 30 + 40 = 70
    score(tied_b, reviewer, 9, 4)  # 54 + 16 = 70
    score(last, reviewer, 5, 5)  # 30 + 20 = 50

    rows = rows_of_lot(call)

    assert rows == [
        ("Structure 0", Fraction(80), 1, False),
        ("Structure 1", Fraction(70), 2, True),
        ("Structure 2", Fraction(70), 2, True),
        ("Structure 3", Fraction(50), 4, False),
    ]


def test_ranking_lists_unscored_applications_last_without_rank(call, reviewer):
    scored, _unscored = applicants(call, 2)
    score(scored, reviewer, 5, 5)

    assert rows_of_lot(call) == [
        ("Structure 0", Fraction(50), 1, False),
        ("Structure 1", None, None, False),
    ]


def test_ranking_shows_each_lot_with_the_applicants_preference(call, reviewer):
    office_lot, workshop_lot = call.lots.all()
    structure, user = member_of_new_structure("Atelier vélo", "velo@example.test")
    submitted(call=call, structure=structure, actor=user, lots=[workshop_lot, office_lot])

    lots = call_ranking(call)

    preferences = {
        entry["lot"].space.name: [row["preference"] for row in entry["rows"]] for entry in lots
    }
    assert preferences == {"Bureau 12": [2], "Atelier 3": [1]}


def test_ranking_leaves_out_drafts_and_withdrawn_applications(call, association, applicant):
    draft = complete_draft(call=call, structure=association, actor=applicant)
    other_structure, other_user = member_of_new_structure("Repair Café", "repair@example.test")
    gone = submitted(call=call, structure=other_structure, actor=other_user)
    services.application_withdraw(application=gone, actor=other_user)

    assert all(not entry["rows"] for entry in call_ranking(call))
    assert draft.status == ApplicationStatus.DRAFT


# --- Conflict of interest ------------------------------------------------------------------


def test_conflicted_reviewer_marks_given_earlier_do_not_count(call, application, reviewer):
    score(application, reviewer, 10, 10)
    later_conflicted = new_reviewer(call, "conflit@example.test")
    score(application, later_conflicted, 0, 0)
    assignment = later_conflicted.review_assignments.get(call=call)

    services.reviewer_declare(
        assignment=assignment,
        conflict_of_interest=True,
        note="Conjoint d'une salariée",
        actor=assignment.reviewer,
    )

    assert rows_of_lot(call) == [("Ressourcerie du Hainaut", Fraction(100), 1, False)]
    assert application_scores(application)["total"] == 100


def test_application_scores_list_excluded_marks_as_not_counting(call, application, reviewer):
    score(application, reviewer, 6, 8)
    conflicted = new_reviewer(call, "conflit@example.test")
    score(application, conflicted, 0, 0)
    services.reviewer_declare(
        assignment=conflicted.review_assignments.get(call=call),
        conflict_of_interest=True,
        note="Membre du bureau",
        actor=conflicted,
    )

    scores = application_scores(application)

    first = scores["rows"][0]
    assert [(entry["mark"], entry["counts"]) for entry in first["scores"]] == [
        (0, False),
        (6, True),
    ]
    assert first["mean"] == 6
    assert scores["total"] == Fraction(60 * 6, 10) + Fraction(40 * 8, 10)


# --- Permissions ---------------------------------------------------------------------------


def test_public_sees_published_closed_and_decided_calls_but_not_drafts(call, draft_other):
    visible = set(calls_visible_to(AnonymousUser()))

    assert visible == {call}


@pytest.fixture
def draft_other(call, manager, commune, office):
    return draft_call(actor=manager, owner=commune.organisation, spaces=[office], title="Brouillon")


def test_managers_also_see_their_drafts(call, draft_other, manager):
    assert set(calls_visible_to(manager)) == {call, draft_other}


def test_staff_of_another_commune_do_not_see_the_drafts(call, draft_other, other_commune_staff):
    assert set(calls_visible_to(other_commune_staff)) == {call}
    assert not calls_manageable_by(other_commune_staff).exists()


def test_territory_admin_manages_every_call(call, draft_other, territory_admin):
    assert set(calls_manageable_by(territory_admin)) == {call, draft_other}


def test_calls_listed_puts_open_calls_first(call, manager, commune, workshop):
    closed = draft_call(actor=manager, owner=commune.organisation, spaces=[workshop], title="Clos")
    services.call_publish(call=closed, actor=manager)
    services.call_close(call=closed, actor=manager)

    assert list(calls_listed()) == [call, closed]


def test_reviewers_see_only_the_calls_they_are_assigned_to(
    call, reviewer, manager, commune, workshop
):
    other = draft_call(actor=manager, owner=commune.organisation, spaces=[workshop], title="Autre")
    services.call_publish(call=other, actor=manager)

    assert list(calls_reviewable_by(reviewer)) == [call]
    assert not calls_reviewable_by(AnonymousUser()).exists()


def test_applicants_see_only_their_own_applications(call, application, applicant):
    other_structure, other_user = member_of_new_structure("Repair Café", "repair@example.test")
    other = submitted(call=call, structure=other_structure, actor=other_user)

    assert set(applications_visible_to(applicant)) == {application}
    assert set(applications_visible_to(other_user)) == {other}


def test_applicants_see_their_drafts_that_managers_do_not(call, association, applicant, manager):
    draft = complete_draft(call=call, structure=association, actor=applicant)

    assert set(applications_visible_to(applicant)) == {draft}
    assert not applications_visible_to(manager).exists()


def test_a_draft_withdrawn_unsent_stays_hidden_from_managers(call, association, applicant, manager):
    draft = complete_draft(call=call, structure=association, actor=applicant)
    services.application_withdraw(application=draft, actor=applicant)

    assert not applications_visible_to(manager).exists()


def test_managers_see_the_submitted_applications_of_their_calls(call, application, manager):
    assert set(applications_visible_to(manager)) == {application}
    assert set(applications_decidable_by(manager)) == {application}


def test_reviewers_without_conflict_see_the_submitted_applications(call, application, reviewer):
    assert set(applications_visible_to(reviewer)) == {application}
    assert not applications_decidable_by(reviewer).exists()


def test_conflicted_or_undeclared_reviewers_do_not_read_the_applications(call, application):
    undeclared, conflicted = UserFactory(), UserFactory()
    services.reviewer_assign(call=call, reviewer=undeclared, actor=call.created_by)
    services.reviewer_declare(
        assignment=services.reviewer_assign(call=call, reviewer=conflicted, actor=call.created_by),
        conflict_of_interest=True,
        note="Présidente d'un candidat",
        actor=conflicted,
    )

    assert not applications_visible_to(undeclared).exists()
    assert not applications_visible_to(conflicted).exists()


def test_outsiders_see_no_application(application, outsider, other_commune_staff):
    assert not applications_visible_to(outsider).exists()
    assert not applications_visible_to(AnonymousUser()).exists()
    assert not applications_visible_to(other_commune_staff).exists()


def test_calls_offering_lists_the_open_calls_with_a_lot_on_the_space(
    call, draft_other, office, workshop, site
):
    assert list(calls_offering(office)) == [call]
    assert list(calls_offering(SpaceFactory(site=site))) == []


def test_calls_offering_leaves_out_closed_calls(call, manager, office):
    services.call_close(call=call, actor=manager)

    assert not calls_offering(office).exists()
