"""Arbitration of a season's proposed plan (issue 17): moves and swaps re-checked as the
solver checks (overlap, capacity, equipment, opening hours, closures, the weekly cap), with
French messages naming the clash; the committee's decision; the board's reads."""

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.actors import PLATFORM
from accounts.exceptions import DecisionNotAllowed
from bookings.models import Closure
from seasons import services
from seasons.exceptions import CampaignInvalidTransition
from seasons.models import CampaignStatus, PlanAssignment
from seasons.selectors import assignments_of_structure, board
from tests.factories import paris
from tests.seasons.conftest import submit, tuesday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_move_onto_a_taken_slot_is_refused_naming_the_structure_there(planned, commune_staff, hall):
    theirs = planned.theirs
    first_choice = theirs.wish.options.get(position=1)

    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.plan_assignment_move(
            assignment=theirs, actor=commune_staff, option=first_choice, space=hall
        )

    assert "Club de judo" in messages(refused.value)
    assert "Salle A" in messages(refused.value)
    theirs.refresh_from_db()
    assert theirs.moved_at is None


def test_move_into_a_space_too_small_is_refused(planned, commune_staff, small_room):
    small_room.capacity = 5
    small_room.save()
    mine = planned.mine

    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.plan_assignment_move(
            assignment=mine, actor=commune_staff, option=mine.option, space=small_room
        )

    assert "Salle B" in messages(refused.value)
    assert "5" in messages(refused.value)


def test_move_where_the_space_is_closed_on_every_date_is_refused(
    planned, commune_staff, small_room, site
):
    planned_off = planned.theirs
    services.plan_assignment_move(
        assignment=planned_off, actor=commune_staff, option=None, space=None
    )
    Closure.objects.create(
        space=small_room, start=paris(2027, 8, 1), end=paris(2028, 8, 1), reason="Travaux"
    )

    with pytest.raises(ValidationError):
        services.plan_assignment_move(
            assignment=planned_off,
            actor=commune_staff,
            option=planned_off.wish.options.get(position=2),
            space=small_room,
        )


def test_move_over_the_weekly_cap_is_refused(
    campaign, hall, small_room, commune_staff, applicant, applicant_structure
):
    submit(campaign, applicant, applicant_structure, tuesday(hall), rank=1)
    extra = submit(campaign, applicant, applicant_structure, tuesday(small_room, 14, 17), rank=2)
    services.campaign_close(campaign=campaign, actor=commune_staff)
    run = services.plan_run(campaign=campaign, actor=commune_staff)
    left_out = run.assignments.get(wish=extra)
    assert left_out.space_id is None  # 2 h + 3 h: over the 4 hours a week

    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.plan_assignment_move(
            assignment=left_out,
            actor=commune_staff,
            option=extra.options.get(),
            space=small_room,
        )

    assert "Club de judo" in messages(refused.value)
    assert "4" in messages(refused.value)


def test_move_off_the_plan_says_who_did_it_and_twice_changes_nothing(planned, commune_staff):
    theirs = planned.theirs
    met = theirs.run.met_count

    with translation.override("fr"):
        moved = services.plan_assignment_move(
            assignment=theirs, actor=commune_staff, option=None, space=None
        )
    again = services.plan_assignment_move(
        assignment=theirs, actor=commune_staff, option=None, space=None
    )

    theirs.refresh_from_db()
    assert (moved.space_id, theirs.space_id, theirs.moved_by) == (None, None, commune_staff)
    assert "à la main" in theirs.explanation
    assert str(commune_staff) in theirs.explanation
    assert again.moved_at == theirs.moved_at
    theirs.run.refresh_from_db()
    assert theirs.run.met_count == met - 1


def test_move_back_onto_a_free_space_of_another_kind(planned, commune_staff, small_room, hall):
    mine = planned.mine
    services.plan_assignment_move(
        assignment=planned.theirs, actor=commune_staff, option=None, space=None
    )

    services.plan_assignment_move(
        assignment=mine, actor=commune_staff, option=mine.option, space=small_room
    )

    mine.refresh_from_db()
    assert mine.space_id == small_room.pk
    assert mine.moved_at is not None


def test_swap_exchanges_the_spaces_each_keeping_its_times(planned, commune_staff, hall, small_room):
    services.plan_assignments_swap(first=planned.mine, second=planned.theirs, actor=commune_staff)

    mine = PlanAssignment.objects.get(pk=planned.mine.pk)
    theirs = PlanAssignment.objects.get(pk=planned.theirs.pk)
    assert (mine.space_id, theirs.space_id) == (small_room.pk, hall.pk)
    assert (mine.option.start, theirs.option.start) == (time(18), time(18))


def test_swap_refused_when_a_space_is_too_small(planned, commune_staff, small_room):
    small_room.capacity = 5
    small_room.save()

    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.plan_assignments_swap(
            first=planned.mine, second=planned.theirs, actor=commune_staff
        )

    assert "Salle B" in messages(refused.value)
    assert PlanAssignment.objects.get(pk=planned.mine.pk).moved_at is None


def test_moves_are_for_those_who_run_the_campaign(planned, applicant, commune_staff):
    with pytest.raises(DecisionNotAllowed):  # they see the campaign: 403
        services.plan_assignment_move(
            assignment=planned.mine, actor=applicant, option=None, space=None
        )
    with pytest.raises(PermissionDenied) as refused:
        services.plan_assignment_move(
            assignment=planned.mine, actor=PLATFORM, option=None, space=None
        )
    assert not isinstance(refused.value, DecisionNotAllowed)  # 404
    with pytest.raises(DecisionNotAllowed):
        services.plan_assignments_swap(first=planned.mine, second=planned.theirs, actor=applicant)


def test_decide_records_the_deliberation_and_freezes_the_plan(planned, commune_staff):
    with translation.override("fr"):
        for bad in ("", " ", "x" * 101):
            with pytest.raises(ValidationError) as refused:
                services.campaign_decide(
                    campaign=planned,
                    actor=commune_staff,
                    decided_on=date(2027, 1, 4),
                    deliberation_reference=bad,
                )
            assert "deliberation_reference" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            services.campaign_decide(
                campaign=planned,
                actor=commune_staff,
                decided_on=date(2027, 1, 5),  # tomorrow
                deliberation_reference="DEL-1",
            )
        assert "decided_on" in refused.value.message_dict

    campaign = services.campaign_decide(
        campaign=planned,
        actor=commune_staff,
        decided_on=date(2027, 1, 4),
        deliberation_reference=" DEL-2027-042 ",
    )

    assert (campaign.status, campaign.decided_on, campaign.deliberation_reference) == (
        CampaignStatus.DECIDED,
        date(2027, 1, 4),
        "DEL-2027-042",
    )
    entry = campaign.log.latest("pk")
    assert (entry.from_status, entry.to_status, entry.actor) == (
        CampaignStatus.PLANNED,
        CampaignStatus.DECIDED,
        commune_staff,
    )
    with pytest.raises(ValidationError):
        services.plan_assignment_move(
            assignment=planned.theirs, actor=commune_staff, option=None, space=None
        )
    with pytest.raises(ValidationError):
        services.plan_run(campaign=campaign, actor=commune_staff)


def test_decide_before_a_plan_is_an_invalid_transition(campaign, commune_staff, applicant):
    with pytest.raises(CampaignInvalidTransition):
        services.campaign_decide(
            campaign=campaign,
            actor=commune_staff,
            decided_on=date(2027, 1, 4),
            deliberation_reference="DEL-1",
        )
    with pytest.raises(DecisionNotAllowed):
        services.campaign_decide(
            campaign=campaign,
            actor=applicant,
            decided_on=date(2027, 1, 4),
            deliberation_reference="DEL-1",
        )


def test_board_lays_out_the_plan_in_a_constant_number_of_queries(
    planned, commune_staff, hall, small_room, django_assert_num_queries
):
    services.plan_assignment_move(
        assignment=planned.theirs, actor=commune_staff, option=None, space=None
    )

    with django_assert_num_queries(4):
        laid_out = board(planned)

    rows = {row.space_name: row for row in laid_out.rows}
    (slot,) = rows["Salle A"].days[1]
    assert (slot.structure_name, slot.start, slot.end, slot.option_position, slot.moved) == (
        "Club de judo",
        time(18),
        time(20),
        1,
        False,
    )
    assert slot.competing == 1  # the choir asks for Salle A then too
    assert rows["Salle B"].days == {}
    (unmet,) = laid_out.unmet
    assert (unmet.structure_name, unmet.moved, unmet.competing) == ("Chorale du Nord", True, 1)
    assert laid_out.weekdays == [1]


def test_board_queries_do_not_grow_with_the_wishes(
    campaign, hall, small_room, commune_staff, django_assert_num_queries
):
    from tests.factories import MembershipFactory, VerifiedStructureFactory

    for n in range(12):
        structure = VerifiedStructureFactory(name=f"Structure {n}")
        member = MembershipFactory(organisation=structure).user
        submit(campaign, member, structure, tuesday(hall, 8 + n, 9 + n), tuesday(small_room))
    services.campaign_close(campaign=campaign, actor=commune_staff)
    services.plan_run(campaign=campaign, actor=commune_staff)

    with django_assert_num_queries(4):
        laid_out = board(campaign)

    assert laid_out.met_count + len(laid_out.unmet) == 12


def test_assignments_of_structure_only_once_published(planned, applicant):
    assert list(assignments_of_structure(applicant, planned)) == []
